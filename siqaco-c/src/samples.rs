//! Sample accessors: the segments of decoded samples (`siqaco_samples`) and the copies of
//! their values into caller buffers, by sample type.

use crate::args::{arg_out, arg_ref, fill_nslc, get, SIQACO_NSLC_CAPACITY};
use crate::boundary::{boundary, free_handle, read_handle};
#[cfg(doc)] // the function named in the documentation
use crate::siqaco_archive_read;
use crate::status::{siqaco_status, Failure};
use siqaco::codec::Samples;
use siqaco::read::SampleSegment;
use std::ffi::c_char;

/// `siqaco_sample_segment.sample_type`: 32-bit integers.
pub const SIQACO_SAMPLE_INT32: u32 = 1;
/// `siqaco_sample_segment.sample_type`: 32-bit floats.
pub const SIQACO_SAMPLE_FLOAT32: u32 = 2;
/// `siqaco_sample_segment.sample_type`: 64-bit floats.
pub const SIQACO_SAMPLE_FLOAT64: u32 = 3;

/// Decoded samples: contiguous segments of samples of one or more streams. Opaque; created
/// by [`siqaco_archive_read`], released by [`siqaco_samples_free`]. Immutable: it may be
/// read from several threads at once.
pub struct siqaco_samples {
    pub(crate) inner: Vec<SampleSegment>,
}

/// One segment of decoded samples.
#[repr(C)]
pub struct siqaco_sample_segment {
    /// `NET.STA.LOC.CHA`, NUL-terminated (truncated to `SIQACO_NSLC_CAPACITY - 1` bytes).
    pub nslc: [c_char; SIQACO_NSLC_CAPACITY],
    /// Time of the first sample, ns.
    pub start_ns: i64,
    /// Time one period after the last sample, ns (exclusive).
    pub end_ns: i64,
    /// Sample rate, Hz.
    pub sample_rate_hz: f64,
    /// Number of samples.
    pub sample_count: usize,
    /// `SIQACO_SAMPLE_INT32`, `SIQACO_SAMPLE_FLOAT32` or `SIQACO_SAMPLE_FLOAT64`.
    pub sample_type: u32,
}

/// Releases decoded samples. NULL is accepted and does nothing.
///
/// # Safety
/// `samples` is NULL or a handle from `siqaco_archive_read` not yet freed; it must not be
/// used afterwards, nor freed twice. Ownership: takes ownership of `samples`.
/// Thread-safety: no other thread may use the handle during or after the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_samples_free(samples: *mut siqaco_samples) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(samples) }
}

/// Writes the number of sample segments (sorted by N.S.L.C, then time) to `*count_out`.
///
/// # Safety
/// `samples` is NULL or a live handle; `count_out` is NULL or valid for a write.
/// Ownership: borrows `samples`. Thread-safety: the handle may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_samples_segment_count(
    samples: *const siqaco_samples,
    count_out: *mut usize,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(samples, "samples", count_out, "count_out", |samples| {
            Ok(samples.inner.len())
        })
    }
}

/// Fills `*segment_out` with the description of sample segment `index` (0-based): codes,
/// start time, rate, number and type of samples.
///
/// Returns `SIQACO_STATUS_OUT_OF_RANGE` for an index out of range.
///
/// # Safety
/// `samples` is NULL or a live handle; `segment_out` is NULL or valid for a write.
/// Ownership: borrows `samples`. Thread-safety: the handle may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_samples_segment(
    samples: *const siqaco_samples,
    index: usize,
    segment_out: *mut siqaco_sample_segment,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(samples, "samples", segment_out, "segment_out", |samples| {
            let s = get(&samples.inner, index, "sample segment")?;
            let mut out = siqaco_sample_segment {
                nslc: [0; SIQACO_NSLC_CAPACITY],
                start_ns: s.start_ns,
                end_ns: s.end_ns(),
                sample_rate_hz: s.sample_rate_hz,
                sample_count: s.samples.len(),
                sample_type: sample_type(&s.samples),
            };
            fill_nslc(&mut out.nslc, &s.nslc.to_string());
            Ok(out)
        })
    }
}

/// A C sample type the samples of a segment can be copied into.
trait CopyInto: Sized {
    /// Whether samples of type `s` can be copied into this type (exactly).
    fn accepts(s: &Samples) -> bool;
    /// Copies the samples of `s` (accepted, as many as `dst` holds) into `dst`.
    fn fill(s: &Samples, dst: &mut [Self]);
}

impl CopyInto for i32 {
    fn accepts(s: &Samples) -> bool {
        matches!(s, Samples::Int32(_))
    }
    fn fill(s: &Samples, dst: &mut [i32]) {
        if let Samples::Int32(v) = s {
            dst.copy_from_slice(v);
        }
    }
}

impl CopyInto for f32 {
    fn accepts(s: &Samples) -> bool {
        matches!(s, Samples::Float32(_))
    }
    fn fill(s: &Samples, dst: &mut [f32]) {
        if let Samples::Float32(v) = s {
            dst.copy_from_slice(v);
        }
    }
}

/// Every numeric type converts to double exactly.
impl CopyInto for f64 {
    fn accepts(s: &Samples) -> bool {
        matches!(
            s,
            Samples::Int32(_) | Samples::Float32(_) | Samples::Float64(_)
        )
    }
    fn fill(s: &Samples, dst: &mut [f64]) {
        match s {
            Samples::Int32(v) => dst.iter_mut().zip(v).for_each(|(d, &x)| *d = f64::from(x)),
            Samples::Float32(v) => dst.iter_mut().zip(v).for_each(|(d, &x)| *d = f64::from(x)),
            Samples::Float64(v) => dst.copy_from_slice(v),
            Samples::Text(_) => {}
        }
    }
}

/// Copies the samples of segment `index` into `buf[0..len]` when [`CopyInto::accepts`]
/// their type, and their number into `*count_out`.
///
/// # Safety
/// `samples` is NULL or a live handle; `buf` is NULL or valid for `len` writes of `T`;
/// `count_out` is NULL or valid for a write.
unsafe fn copy_samples<T: CopyInto>(
    samples: *const siqaco_samples,
    index: usize,
    buf: *mut T,
    len: usize,
    count_out: *mut usize,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let samples = unsafe { arg_ref(samples, "samples") }?;
        let count_out = arg_out(count_out, "count_out")?;
        let s = get(&samples.inner, index, "sample segment")?;
        if buf.is_null() && len != 0 {
            return Err(Failure::null("buf"));
        }
        if !T::accepts(&s.samples) {
            return Err(Failure::new(
                siqaco_status::WrongSampleType,
                format!(
                    "sample segment {index} holds samples of type '{}' (see sample_type)",
                    s.samples.sample_type()
                ),
            ));
        }
        let n = s.samples.len();
        // SAFETY: checked non-NULL.
        unsafe { count_out.write(n) };
        if len < n {
            return Err(Failure::new(
                siqaco_status::BufferTooSmall,
                format!("buffer of {len} samples is too small: {n} needed"),
            ));
        }
        if n > 0 {
            // SAFETY: buf is non-NULL (len >= n > 0) and valid for len >= n writes.
            let dst = unsafe { std::slice::from_raw_parts_mut(buf, n) };
            T::fill(&s.samples, dst);
        }
        Ok(())
    })
}

fn sample_type(s: &Samples) -> u32 {
    match s {
        Samples::Int32(_) => SIQACO_SAMPLE_INT32,
        Samples::Float32(_) => SIQACO_SAMPLE_FLOAT32,
        Samples::Float64(_) => SIQACO_SAMPLE_FLOAT64,
        _ => 0,
    }
}

/// Copies the samples of segment `index` into `buf` (room for `len` values) and their
/// number into `*count_out`. Only for segments of type `SIQACO_SAMPLE_INT32`.
///
/// Returns `SIQACO_STATUS_WRONG_SAMPLE_TYPE` for another type (nothing written);
/// `SIQACO_STATUS_BUFFER_TOO_SMALL` when `len` is below the number of samples, after
/// writing that number to `*count_out` (pass `buf` NULL and `len` 0 to ask for it).
///
/// # Safety
/// `samples` is NULL or a live handle; `buf` is NULL or valid for `len` writes;
/// `count_out` is NULL or valid for a write. Ownership: borrows `samples`; the caller owns
/// `buf`. Thread-safety: the handle may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_samples_copy_int32(
    samples: *const siqaco_samples,
    index: usize,
    buf: *mut i32,
    len: usize,
    count_out: *mut usize,
) -> siqaco_status {
    // SAFETY: forwarded contract.
    unsafe { copy_samples(samples, index, buf, len, count_out) }
}

/// As `siqaco_samples_copy_int32`, for segments of type `SIQACO_SAMPLE_FLOAT32`.
///
/// # Safety
/// As `siqaco_samples_copy_int32`. Ownership and thread-safety: the same.
#[no_mangle]
pub unsafe extern "C" fn siqaco_samples_copy_float32(
    samples: *const siqaco_samples,
    index: usize,
    buf: *mut f32,
    len: usize,
    count_out: *mut usize,
) -> siqaco_status {
    // SAFETY: forwarded contract.
    unsafe { copy_samples(samples, index, buf, len, count_out) }
}

/// As `siqaco_samples_copy_int32`, for segments of any type: int32 and float32 samples are
/// converted to double exactly.
///
/// # Safety
/// As `siqaco_samples_copy_int32`. Ownership and thread-safety: the same.
#[no_mangle]
pub unsafe extern "C" fn siqaco_samples_copy_float64(
    samples: *const siqaco_samples,
    index: usize,
    buf: *mut f64,
    len: usize,
    count_out: *mut usize,
) -> siqaco_status {
    // SAFETY: forwarded contract.
    unsafe { copy_samples(samples, index, buf, len, count_out) }
}
