//! VST3 preset files (`.vstpreset`), the format hosts export a VST3 plugin's settings in (the
//! VST3 SDK's "VST 3 Preset File Format"): a 48-byte header ("VST3", the format version as an
//! int32, the plugin's class id as 32 ASCII hex digits, the int64 offset of the chunk list),
//! the chunks' data, then the chunk list ("List", an int32 entry count, and per entry a 4-byte
//! chunk id, its int64 offset and int64 size). Numbers are little-endian. The component state
//! chunk ("Comp") holds what the plugin's `getState` wrote, for Cuewire nice-plug's JSON; the
//! others ("Cont" controller state, "Info" metadata, "Prog" program data) are not needed here.

use cuewire::{CuewireInsert, CuewireMonitor};
use nice_plug::prelude::Vst3Plugin;

use crate::CliError;

/// The header's first four bytes.
const MAGIC: &[u8; 4] = b"VST3";
/// The id that starts the chunk list.
const LIST_ID: &[u8; 4] = b"List";
/// The component state's chunk id.
const COMPONENT_ID: &[u8; 4] = b"Comp";
/// The format version the SDK writes.
const FORMAT_VERSION: i32 = 1;
/// Where the class id starts, bytes.
const CLASS_ID_POS: usize = 8;
/// Length of the class id text, bytes.
const CLASS_ID_LEN: usize = 32;
/// Where the chunk list's offset is stored, bytes.
const LIST_OFFSET_POS: usize = CLASS_ID_POS + CLASS_ID_LEN;
/// Length of the header, bytes.
const HEADER_LEN: usize = LIST_OFFSET_POS + 8;
/// Length of the chunk list's id and count, bytes.
const LIST_HEAD_LEN: usize = 8;
/// Length of one chunk list entry (id, offset, size), bytes.
const ENTRY_LEN: usize = 20;

/// Cuewire Monitor's VST3 class id (the same on every platform in a preset: nice-plug reorders it for
/// COM on Windows, and the SDK's text form undoes that).
pub fn cuewire_class_id() -> [u8; 16] {
    CuewireMonitor::VST3_CLASS_ID
}

/// Cuewire's (the insert's) VST3 class id: its presets hold the same parameters.
pub fn insert_class_id() -> [u8; 16] {
    CuewireInsert::VST3_CLASS_ID
}

/// Whether `bytes` are a preset header naming `class_id`.
pub fn is_for(bytes: &[u8], class_id: &[u8; 16]) -> bool {
    bytes
        .get(CLASS_ID_POS..LIST_OFFSET_POS)
        .is_some_and(|theirs| theirs.eq_ignore_ascii_case(class_id_text(class_id).as_bytes()))
}

/// A class id as the preset stores it: 32 upper-case hex digits, bytes in order.
pub fn class_id_text(class_id: &[u8; 16]) -> String {
    class_id.iter().map(|b| format!("{b:02X}")).collect()
}

/// Whether `bytes` start like a VST3 preset.
pub fn is_preset(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// A preset for `class_id` whose only chunk is `component_state`.
pub fn write(class_id: &[u8; 16], component_state: &[u8]) -> Vec<u8> {
    let list_offset = HEADER_LEN + component_state.len();
    let mut out = Vec::with_capacity(list_offset + LIST_HEAD_LEN + ENTRY_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(class_id_text(class_id).as_bytes());
    out.extend_from_slice(&(list_offset as i64).to_le_bytes());
    out.extend_from_slice(component_state);
    out.extend_from_slice(LIST_ID);
    out.extend_from_slice(&1i32.to_le_bytes());
    out.extend_from_slice(COMPONENT_ID);
    out.extend_from_slice(&(HEADER_LEN as i64).to_le_bytes());
    out.extend_from_slice(&(component_state.len() as i64).to_le_bytes());
    out
}

/// `N` bytes at `pos`, if the file has them.
fn field<const N: usize>(bytes: &[u8], pos: usize) -> Option<[u8; N]> {
    bytes.get(pos..pos.checked_add(N)?)?.try_into().ok()
}

/// An int64 offset or size at `pos` as an index into the file (`None` when missing or negative).
fn position(bytes: &[u8], pos: usize) -> Option<usize> {
    usize::try_from(i64::from_le_bytes(field(bytes, pos)?)).ok()
}

/// The component state of a preset for `class_id`; a preset that is cut short, corrupt, for
/// another plugin or without a component state is refused with a one-line reason.
pub fn component_state<'a>(bytes: &'a [u8], class_id: &[u8; 16]) -> Result<&'a [u8], CliError> {
    let len = bytes.len();
    if !is_preset(bytes) || len < HEADER_LEN {
        return Err(CliError::input(format!(
            "not a VST3 preset: {len} bytes, shorter than the 48-byte header"
        )));
    }
    let theirs = &bytes[CLASS_ID_POS..LIST_OFFSET_POS];
    let ours = class_id_text(class_id);
    if !theirs.eq_ignore_ascii_case(ours.as_bytes()) {
        return Err(CliError::input(format!(
            "the VST3 preset is for another plugin (class id {}, Cuewire's is {ours})",
            String::from_utf8_lossy(theirs)
        )));
    }
    let corrupt =
        |what: String| CliError::input(format!("VST3 preset cut short or corrupt: {what}"));
    let list = position(bytes, LIST_OFFSET_POS)
        .filter(|&at| at >= HEADER_LEN && field::<4>(bytes, at) == Some(*LIST_ID))
        .ok_or_else(|| {
            corrupt(format!(
                "no chunk list where the header points ({len} bytes)"
            ))
        })?;
    let count = field(bytes, list + 4)
        .map(i32::from_le_bytes)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| corrupt("no chunk count".to_owned()))?;
    let entries = list + LIST_HEAD_LEN;
    let fits = (len - entries.min(len)) / ENTRY_LEN;
    if count > fits {
        return Err(corrupt(format!(
            "the chunk list names {count} chunks, the file holds {fits}"
        )));
    }
    let component = (0..count)
        .map(|i| entries + i * ENTRY_LEN)
        .find(|&entry| field::<4>(bytes, entry) == Some(*COMPONENT_ID))
        .ok_or_else(|| CliError::input("the VST3 preset has no component state ('Comp' chunk)"))?;
    let start = position(bytes, component + 4);
    let size = position(bytes, component + 12);
    match (start, size) {
        (Some(start), Some(size)) if start.checked_add(size).is_some_and(|end| end <= len) => {
            Ok(&bytes[start..start + size])
        }
        _ => Err(corrupt(format!(
            "the 'Comp' chunk lies outside the file ({len} bytes)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &[u8] = br#"{"params":{},"fields":{}}"#;

    #[test]
    fn class_id_is_the_sdk_text_form() {
        // b"CuewireHpMonitr1" as hex: 'C' = 0x43, 'u' = 0x75, ... '1' = 0x31.
        assert_eq!(
            class_id_text(&cuewire_class_id()),
            "4375657769726548704D6F6E69747231"
        );
    }

    #[test]
    fn written_presets_read_back() {
        let id = cuewire_class_id();
        let preset = write(&id, STATE);
        assert_eq!(&preset[..4], b"VST3");
        assert_eq!(preset.len(), 48 + STATE.len() + 8 + 20);
        assert_eq!(component_state(&preset, &id).unwrap(), STATE);
    }

    #[test]
    fn the_inserts_presets_are_recognised() {
        let preset = write(&insert_class_id(), STATE);
        assert!(is_for(&preset, &insert_class_id()));
        assert!(!is_for(&preset, &cuewire_class_id()));
        assert_eq!(component_state(&preset, &insert_class_id()).unwrap(), STATE);
    }

    #[test]
    fn every_truncation_is_refused() {
        let id = cuewire_class_id();
        let preset = write(&id, STATE);
        for cut in 0..preset.len() {
            let e = component_state(&preset[..cut], &id).unwrap_err();
            assert_eq!(e.code, crate::EXIT_INPUT, "cut at {cut}: {}", e.message);
        }
    }

    #[test]
    fn another_plugins_preset_is_refused() {
        let preset = write(b"SomeOtherPlugin!", STATE);
        let e = component_state(&preset, &cuewire_class_id()).unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "the VST3 preset is for another plugin (class id {}, Cuewire's is {})",
                class_id_text(b"SomeOtherPlugin!"),
                class_id_text(&cuewire_class_id())
            )
        );
    }
}
