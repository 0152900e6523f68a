//! A small command-line parser: positional arguments, `--opt VALUE` / `--opt=VALUE` options
//! (repeatable) and `--flag`s, with one-line errors for anything unknown.

use super::CliError;

/// A parsed command line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// Positional arguments in order.
    pub positional: Vec<String>,
    /// Option values in order, by option name (without dashes).
    pub values: Vec<(String, String)>,
    /// Flags present, by name (without dashes).
    pub flags: Vec<String>,
}

impl Parsed {
    /// Every value of option `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.values
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value of option `name`; an error when given more than once.
    pub fn one(&self, name: &str) -> Result<Option<&str>, CliError> {
        match self.all(name).as_slice() {
            [] => Ok(None),
            [v] => Ok(Some(v)),
            _ => Err(CliError::usage(format!("--{name} given more than once"))),
        }
    }

    /// Whether flag `name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }

    /// Checks there are exactly `n` positional arguments for `command`.
    pub fn expect_positional(&self, n: usize, command: &str) -> Result<&Self, CliError> {
        if self.positional.len() == n {
            return Ok(self);
        }
        Err(CliError::usage(match (n, self.positional.len()) {
            (0, _) => format!("{command} takes no file arguments"),
            (n, got) if got < n => format!(
                "{command} needs {n} file argument{} (got {got}; see `cuewire --help`)",
                if n == 1 { "" } else { "s" }
            ),
            (_, _) => format!("{command}: unexpected argument '{}'", self.positional[n]),
        }))
    }
}

/// Parses `args` knowing which options take a value and which are flags.
pub fn parse(args: &[String], value_opts: &[&str], flag_opts: &[&str]) -> Result<Parsed, CliError> {
    let mut parsed = Parsed::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let Some(body) = arg.strip_prefix("--") else {
            parsed.positional.push(arg.clone());
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        if value_opts.contains(&name) {
            let value = match inline {
                Some(v) => v,
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| CliError::usage(format!("--{name} needs a value")))?,
            };
            parsed.values.push((name.to_string(), value));
        } else if flag_opts.contains(&name) && inline.is_none() {
            parsed.flags.push(name.to_string());
        } else {
            return Err(CliError::usage(format!("unknown option '{arg}'")));
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn values_flags_and_positionals() {
        let p = parse(
            &strings(&["a.wav", "--set", "x=1", "--set=y=2", "--json", "b.wav"]),
            &["set"],
            &["json"],
        )
        .unwrap();
        assert_eq!(p.positional, ["a.wav", "b.wav"]);
        assert_eq!(p.all("set"), ["x=1", "y=2"]);
        assert!(p.flag("json"));
        assert!(p.one("set").is_err());
    }

    #[test]
    fn unknown_and_incomplete_options_are_errors() {
        let e = parse(&strings(&["--bogus"]), &[], &[]).unwrap_err();
        assert_eq!(e.message, "unknown option '--bogus'");
        let e = parse(&strings(&["--set"]), &["set"], &[]).unwrap_err();
        assert_eq!(e.message, "--set needs a value");
        let p = parse(&strings(&["a"]), &[], &[]).unwrap();
        assert_eq!(
            p.expect_positional(2, "render").unwrap_err().message,
            "render needs 2 file arguments (got 1; see `cuewire --help`)"
        );
    }
}
