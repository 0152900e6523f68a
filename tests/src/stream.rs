//! `clap_istream` / `clap_ostream` over byte buffers, for state save and load.

use std::ffi::c_void;

use clap_sys::stream::{clap_istream, clap_ostream};

/// A readable stream over bytes that hands out at most `max_chunk` bytes per read, so tests can
/// check that the plugin copes with short reads.
pub(crate) struct ReadStream<'a> {
    /// The rest of the data.
    rest: &'a [u8],
    /// Upper bound of one read, bytes.
    max_chunk: usize,
}

impl<'a> ReadStream<'a> {
    /// A stream over `data` in reads of at most `max_chunk` bytes (at least 1).
    pub(crate) fn new(data: &'a [u8], max_chunk: usize) -> Self {
        Self {
            rest: data,
            max_chunk: max_chunk.max(1),
        }
    }

    /// The CLAP view; valid while `self` is neither moved nor dropped.
    pub(crate) fn raw(&mut self) -> clap_istream {
        clap_istream {
            ctx: self as *mut Self as *mut c_void,
            read: Some(stream_read),
        }
    }
}

unsafe extern "C" fn stream_read(
    stream: *const clap_istream,
    buffer: *mut c_void,
    size: u64,
) -> i64 {
    if stream.is_null() || (buffer.is_null() && size > 0) {
        return -1;
    }
    // SAFETY: ctx is the `ReadStream` behind `raw()`; `buffer` holds `size` bytes.
    unsafe {
        let this = &mut *((*stream).ctx as *mut ReadStream<'_>);
        let n = this.rest.len().min(this.max_chunk).min(size as usize);
        std::ptr::copy_nonoverlapping(this.rest.as_ptr(), buffer as *mut u8, n);
        this.rest = &this.rest[n..];
        n as i64
    }
}

/// A writable stream collecting bytes.
pub(crate) struct WriteStream {
    /// Everything written so far.
    pub(crate) data: Vec<u8>,
}

impl WriteStream {
    /// The CLAP view; valid while `self` is neither moved nor dropped.
    pub(crate) fn raw(&mut self) -> clap_ostream {
        clap_ostream {
            ctx: self as *mut Self as *mut c_void,
            write: Some(stream_write),
        }
    }
}

unsafe extern "C" fn stream_write(
    stream: *const clap_ostream,
    buffer: *const c_void,
    size: u64,
) -> i64 {
    if stream.is_null() || (buffer.is_null() && size > 0) {
        return -1;
    }
    // SAFETY: ctx is the `WriteStream` behind `raw()`; `buffer` holds `size` bytes.
    unsafe {
        let this = &mut *((*stream).ctx as *mut WriteStream);
        this.data.extend_from_slice(std::slice::from_raw_parts(
            buffer as *const u8,
            size as usize,
        ));
    }
    size as i64
}
