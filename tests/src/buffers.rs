//! Audio buffers for one `process()` call: any number of ports, any channel counts, and the
//! malformed shapes a careless host may send.

/// One audio port's buffer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudioPort {
    /// One `Vec` per channel, each at least as long as the block.
    pub channels: Vec<Vec<f32>>,
    /// Pass `data32 = NULL` (the channels stay untouched) — a host that has no buffer.
    pub null_data: bool,
    /// The `channel_count` reported to the plugin; `None` reports `channels.len()`. With real
    /// data it may only be lower than `channels.len()` (the harness never lets the plugin read
    /// past the pointer array); with `null_data` it may be anything.
    pub reported_channels: Option<u32>,
    /// `constant_mask` passed to the plugin.
    pub constant_mask: u64,
    /// Channels whose pointer is null while the others carry data (a half-switched-off bus).
    pub null_channels: Vec<usize>,
}

impl AudioPort {
    /// A port of `channel_count` silent channels of `frames` samples.
    pub fn silent(channel_count: usize, frames: usize) -> Self {
        Self::from_channels(vec![vec![0.0; frames]; channel_count])
    }

    /// A port carrying these channels.
    pub fn from_channels(channels: Vec<Vec<f32>>) -> Self {
        Self {
            channels,
            ..Self::default()
        }
    }

    /// A port with `data32 = NULL` that claims `channel_count` channels.
    pub fn null(channel_count: u32) -> Self {
        Self {
            null_data: true,
            reported_channels: Some(channel_count),
            ..Self::default()
        }
    }

    /// A port carrying these channels, with a null pointer for channel `null_channel`.
    pub fn half_null(channels: Vec<Vec<f32>>, null_channel: usize) -> Self {
        Self {
            channels,
            null_channels: vec![null_channel],
            ..Self::default()
        }
    }

    /// A port with zero channels (a non-null, empty pointer array).
    pub fn zero_channels() -> Self {
        Self::default()
    }

    /// The `channel_count` the plugin sees.
    pub fn channel_count(&self) -> u32 {
        self.reported_channels.unwrap_or(self.channels.len() as u32)
    }

    /// Channel `index`, for reading results.
    pub fn channel(&self, index: usize) -> &[f32] {
        &self.channels[index]
    }
}

/// Every input and output port of one `process()` call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessBuffers {
    /// `frames_count` of the call.
    pub frames: u32,
    /// Input ports, in the plugin's port order (main first when it has one).
    pub inputs: Vec<AudioPort>,
    /// Output ports, in the plugin's port order.
    pub outputs: Vec<AudioPort>,
}

impl ProcessBuffers {
    /// Buffers for `frames` samples with no ports yet.
    pub fn new(frames: u32) -> Self {
        Self {
            frames,
            ..Self::default()
        }
    }

    /// Silent buffers shaped like the given port channel counts.
    pub fn silent(frames: u32, input_channels: &[u32], output_channels: &[u32]) -> Self {
        let ports = |counts: &[u32]| {
            counts
                .iter()
                .map(|&c| AudioPort::silent(c as usize, frames as usize))
                .collect()
        };
        Self {
            frames,
            inputs: ports(input_channels),
            outputs: ports(output_channels),
        }
    }

    /// Adds an input port.
    pub fn with_input(mut self, port: AudioPort) -> Self {
        self.inputs.push(port);
        self
    }

    /// Adds an output port.
    pub fn with_output(mut self, port: AudioPort) -> Self {
        self.outputs.push(port);
        self
    }

    /// Channel pointers of every (input, output) port, for building a host's process call.
    pub(crate) fn channel_pointers(&mut self) -> (Vec<Vec<*mut f32>>, Vec<Vec<*mut f32>>) {
        let pointers = |ports: &mut [AudioPort]| -> Vec<Vec<*mut f32>> {
            ports
                .iter_mut()
                .map(|p| {
                    let nulls = &p.null_channels;
                    p.channels
                        .iter_mut()
                        .enumerate()
                        .map(|(i, c)| {
                            if nulls.contains(&i) {
                                std::ptr::null_mut()
                            } else {
                                c.as_mut_ptr()
                            }
                        })
                        .collect()
                })
                .collect()
        };
        (pointers(&mut self.inputs), pointers(&mut self.outputs))
    }

    /// Checks the shapes the harness can pass without undefined behaviour.
    pub(crate) fn validate(&self) -> Result<(), crate::Error> {
        for (kind, ports) in [("input", &self.inputs), ("output", &self.outputs)] {
            for (i, port) in ports.iter().enumerate() {
                if port.null_data {
                    continue;
                }
                if port.channel_count() as usize > port.channels.len() {
                    return Err(format!(
                        "{kind} port {i}: reports {} channels but has {}",
                        port.channel_count(),
                        port.channels.len()
                    ));
                }
                if let Some(short) = port
                    .channels
                    .iter()
                    .position(|c| c.len() < self.frames as usize)
                {
                    return Err(format!(
                        "{kind} port {i} channel {short}: shorter than {} frames",
                        self.frames
                    ));
                }
            }
        }
        Ok(())
    }
}
