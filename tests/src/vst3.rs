//! A small VST3 host: loads a plugin library through `GetPluginFactory`, creates one class as a
//! single-component plugin (component, processor and controller are one object, as nice-plug
//! builds them) and drives it the way JUCE-based hosts do: controller calls, state through
//! `IBStream`, and `process` calls with sample-accurate parameter queues.

use std::collections::HashMap;
use std::ffi::{c_char, c_void};
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::{Mutex, OnceLock};

use vst3::Steinberg::Vst::{
    AudioBusBuffers, AudioBusBuffers__type0, IAudioProcessor, IAudioProcessorTrait, IComponent,
    IComponentTrait, IEditController, IEditControllerTrait, IParamValueQueue,
    IParamValueQueueTrait, IParameterChanges, IParameterChangesTrait, ParamID, ParamValue,
    ParameterInfo, ProcessData, ProcessSetup,
};
use vst3::Steinberg::{
    int32, int64, kInvalidArgument, kResultFalse, kResultOk, tresult, IBStream, IBStreamTrait,
    IPluginBaseTrait, IPluginFactory, IPluginFactoryTrait,
};
use vst3::{Class, ComPtr, ComWrapper, Interface};

use crate::{Error, ParamEvent, ProcessBuffers};

/// Cuewire Monitor's VST3 class id (its processor/controller component).
pub const CUEWIRE_VST3_CLASS_ID: [u8; 16] = *b"CuewireHpMonitr1";
/// Cuewire's (the insert's) VST3 class id.
pub const CUEWIRE_INSERT_VST3_CLASS_ID: [u8; 16] = *b"CuewireInsert000";

/// `kRealtime` process mode.
const K_REALTIME: i32 = 0;
/// `kSample32` sample size.
const K_SAMPLE32: i32 = 0;

/// One plugin instance created from a VST3 factory.
pub struct Vst3Instance {
    component: ComPtr<IComponent>,
    processor: ComPtr<IAudioProcessor>,
    controller: ComPtr<IEditController>,
}

/// The VST3 library at `path`, loaded (and its `ModuleEntry` called) once per process and never
/// unloaded: the plugin's own threads (nice-plug's event loop) may outlive every instance, and
/// unloading the code under them crashes the test binary.
fn library(path: &Path) -> Result<&'static libloading::Library, Error> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, &'static libloading::Library>>> =
        OnceLock::new();
    let mut map = LOADED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(lib) = map.get(path) {
        return Ok(lib);
    }
    // SAFETY: loading a library runs its initialisers; the plugin is trusted test input.
    let lib = unsafe { libloading::Library::new(path) }.map_err(|e| format!("load: {e}"))?;
    let lib: &'static libloading::Library = Box::leak(Box::new(lib));
    // SAFETY: `ModuleEntry` (Linux VST3 modules) takes the module handle, which may be null.
    unsafe {
        if let Ok(module_entry) =
            lib.get::<unsafe extern "C" fn(*mut c_void) -> bool>(b"ModuleEntry")
        {
            if !module_entry(ptr::null_mut()) {
                return Err("ModuleEntry failed".into());
            }
        }
    }
    map.insert(path.to_path_buf(), lib);
    Ok(lib)
}

impl Vst3Instance {
    /// Loads the library at `path`, creates class `class_id` and initialises it.
    pub fn load(path: &Path, class_id: [u8; 16]) -> Result<Self, Error> {
        let lib = library(path)?;
        // SAFETY: the library is a VST3 module; its entry points follow the VST3 ABI, and
        // every COM pointer is checked for null before use.
        unsafe {
            let get_factory = lib
                .get::<unsafe extern "system" fn() -> *mut c_void>(b"GetPluginFactory")
                .map_err(|e| format!("GetPluginFactory: {e}"))?;
            let factory = ComPtr::from_raw(get_factory() as *mut IPluginFactory)
                .ok_or("null plugin factory")?;
            let class_id: [c_char; 16] = class_id.map(|b| b as c_char);
            let mut obj: *mut c_void = ptr::null_mut();
            let result = factory.createInstance(
                class_id.as_ptr(),
                IComponent::IID.as_ptr() as *const c_char,
                &mut obj,
            );
            if result != kResultOk {
                return Err(format!("createInstance: {result}"));
            }
            let component = ComPtr::from_raw(obj as *mut IComponent).ok_or("null component")?;
            if component.initialize(ptr::null_mut()) != kResultOk {
                return Err("initialize failed".into());
            }
            let processor = component
                .cast::<IAudioProcessor>()
                .ok_or("no IAudioProcessor")?;
            let controller = component
                .cast::<IEditController>()
                .ok_or("no IEditController on the component")?;
            Ok(Self {
                component,
                processor,
                controller,
            })
        }
    }

    /// Cuewire's VST3 class from the `libcuewire` built by this workspace.
    pub fn cuewire() -> Result<Self, Error> {
        Self::load(&crate::cuewire_library_path()?, CUEWIRE_VST3_CLASS_ID)
    }

    /// Cuewire's (the insert's) VST3 class from the same library.
    pub fn cuewire_insert() -> Result<Self, Error> {
        Self::load(
            &crate::cuewire_library_path()?,
            CUEWIRE_INSERT_VST3_CLASS_ID,
        )
    }

    /// The component, for calls the harness does not wrap.
    pub fn component(&self) -> &ComPtr<IComponent> {
        &self.component
    }

    /// The processor, for process calls the harness does not build.
    pub fn processor(&self) -> &ComPtr<IAudioProcessor> {
        &self.processor
    }

    /// The id of the parameter titled `title`.
    pub fn param_id(&self, title: &str) -> Result<ParamID, Error> {
        // SAFETY: live controller; `info` is a plain C struct it fills.
        unsafe {
            for index in 0..self.controller.getParameterCount() {
                let mut info: ParameterInfo = std::mem::zeroed();
                if self.controller.getParameterInfo(index, &mut info) != kResultOk {
                    return Err(format!("getParameterInfo({index}) failed"));
                }
                let end = info
                    .title
                    .iter()
                    .position(|&c| c == 0)
                    .unwrap_or(info.title.len());
                if String::from_utf16_lossy(&info.title[..end]) == title {
                    return Ok(info.id);
                }
            }
        }
        Err(format!("no parameter titled {title:?}"))
    }

    /// The normalized value of `plain` (the parameter's own unit) for parameter `id`.
    pub fn normalized_of(&self, id: ParamID, plain: f64) -> f64 {
        // SAFETY: live controller.
        unsafe { self.controller.plainParamToNormalized(id, plain) }
    }

    /// `IEditController::setParamNormalized`.
    pub fn set_normalized(&self, id: ParamID, value: f64) -> tresult {
        // SAFETY: live controller.
        unsafe { self.controller.setParamNormalized(id, value) }
    }

    /// `IEditController::getParamNormalized`.
    pub fn normalized(&self, id: ParamID) -> f64 {
        // SAFETY: live controller.
        unsafe { self.controller.getParamNormalized(id) }
    }

    /// `setupProcessing` (realtime, 32-bit) then `setActive(true)`.
    pub fn activate(&self, sample_rate_hz: f64, max_frames: u32) -> Result<(), Error> {
        let mut setup = ProcessSetup {
            processMode: K_REALTIME,
            symbolicSampleSize: K_SAMPLE32,
            maxSamplesPerBlock: max_frames as i32,
            sampleRate: sample_rate_hz,
        };
        // SAFETY: live plugin; `setup` outlives the call.
        unsafe {
            if self.processor.setupProcessing(&mut setup) != kResultOk {
                return Err("setupProcessing failed".into());
            }
            if self.component.setActive(1) != kResultOk {
                return Err("setActive(true) failed".into());
            }
        }
        Ok(())
    }

    /// `setProcessing(on)`.
    pub fn set_processing(&self, on: bool) -> tresult {
        // SAFETY: live, active plugin.
        unsafe { self.processor.setProcessing(u8::from(on)) }
    }

    /// `setProcessing(false)` then `setActive(false)`.
    pub fn deactivate(&self) {
        // SAFETY: live plugin.
        unsafe {
            self.processor.setProcessing(0);
            self.component.setActive(0);
        }
    }

    /// The component's state (`IComponent::getState`).
    pub fn save_state(&self) -> Result<Vec<u8>, Error> {
        let stream = ComWrapper::new(MemoryStream::default());
        let raw = stream
            .to_com_ptr::<IBStream>()
            .ok_or("stream has no IBStream")?;
        // SAFETY: live component; the stream outlives the call.
        if unsafe { self.component.getState(raw.as_ptr()) } != kResultOk {
            return Err("getState failed".into());
        }
        Ok(stream.bytes())
    }

    /// Loads `bytes` as a host restores a project: `IComponent::setState`, then the same bytes
    /// to the controller through `setComponentState`. Returns the component's result.
    pub fn load_state(&self, bytes: &[u8]) -> tresult {
        let stream = ComWrapper::new(MemoryStream::with_bytes(bytes));
        let Some(raw) = stream.to_com_ptr::<IBStream>() else {
            return kResultFalse;
        };
        // SAFETY: live plugin; the stream outlives both calls.
        unsafe {
            let result = self.component.setState(raw.as_ptr());
            stream.rewind();
            self.controller.setComponentState(raw.as_ptr());
            result
        }
    }

    /// One `process` call over `buffers` (every port as one bus, a null-data port as null
    /// channel pointers), with `events` as sample-accurate parameter changes: `value` is the
    /// VST3 normalized value, `time` the sample offset. One queue per parameter, points in the
    /// order given. Output buffers are updated in place.
    pub fn process(&self, buffers: &mut ProcessBuffers, events: &[ParamEvent]) -> tresult {
        if buffers.validate().is_err() {
            return kInvalidArgument;
        }
        let (mut in_ptrs, mut out_ptrs) = buffers.channel_pointers();
        let buses = |ports: &[crate::AudioPort], ptrs: &mut [Vec<*mut f32>]| {
            ports
                .iter()
                .zip(ptrs.iter_mut())
                .map(|(port, ptrs)| AudioBusBuffers {
                    numChannels: port.channel_count() as i32,
                    silenceFlags: 0,
                    __field0: AudioBusBuffers__type0 {
                        channelBuffers32: if port.null_data {
                            ptr::null_mut()
                        } else {
                            ptrs.as_mut_ptr()
                        },
                    },
                })
                .collect::<Vec<_>>()
        };
        let mut inputs = buses(&buffers.inputs, &mut in_ptrs);
        let mut outputs = buses(&buffers.outputs, &mut out_ptrs);
        let changes = ParameterChanges::new(events);
        let changes = ComWrapper::new(changes);
        let Some(changes_ptr) = changes.to_com_ptr::<IParameterChanges>() else {
            return kResultFalse;
        };
        let mut data = ProcessData {
            processMode: K_REALTIME,
            symbolicSampleSize: K_SAMPLE32,
            numSamples: buffers.frames as i32,
            numInputs: inputs.len() as i32,
            numOutputs: outputs.len() as i32,
            inputs: inputs.as_mut_ptr(),
            outputs: outputs.as_mut_ptr(),
            inputParameterChanges: changes_ptr.as_ptr(),
            outputParameterChanges: ptr::null_mut(),
            inputEvents: ptr::null_mut(),
            outputEvents: ptr::null_mut(),
            processContext: ptr::null_mut(),
        };
        // SAFETY: live, processing plugin; every pointer outlives the call and the validated
        // buffers hold `frames` samples per channel.
        unsafe { self.processor.process(&mut data) }
    }
}

impl Drop for Vst3Instance {
    fn drop(&mut self) {
        self.deactivate();
        // SAFETY: live plugin, deactivated; never used again.
        unsafe {
            self.component.terminate();
        }
    }
}

/// An in-memory `IBStream`.
#[derive(Default)]
struct MemoryStream {
    /// Contents and read/write position.
    inner: Mutex<(Vec<u8>, usize)>,
}

impl MemoryStream {
    fn with_bytes(bytes: &[u8]) -> Self {
        Self {
            inner: Mutex::new((bytes.to_vec(), 0)),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        self.inner.lock().unwrap().0.clone()
    }

    fn rewind(&self) {
        self.inner.lock().unwrap().1 = 0;
    }
}

impl Class for MemoryStream {
    type Interfaces = (IBStream,);
}

impl IBStreamTrait for MemoryStream {
    unsafe fn read(&self, buffer: *mut c_void, num_bytes: int32, num_read: *mut int32) -> tresult {
        let mut inner = self.inner.lock().unwrap();
        let (data, pos) = &mut *inner;
        let n = (num_bytes.max(0) as usize).min(data.len() - *pos);
        // SAFETY: the caller's buffer holds `num_bytes` ≥ n bytes.
        unsafe { ptr::copy_nonoverlapping(data[*pos..].as_ptr(), buffer as *mut u8, n) };
        *pos += n;
        if !num_read.is_null() {
            // SAFETY: non-null out pointer from the caller.
            unsafe { *num_read = n as int32 };
        }
        kResultOk
    }

    unsafe fn write(
        &self,
        buffer: *mut c_void,
        num_bytes: int32,
        num_written: *mut int32,
    ) -> tresult {
        let mut inner = self.inner.lock().unwrap();
        let (data, pos) = &mut *inner;
        let n = num_bytes.max(0) as usize;
        // SAFETY: the caller's buffer holds `num_bytes` bytes.
        let src = unsafe { std::slice::from_raw_parts(buffer as *const u8, n) };
        let end = *pos + n;
        if data.len() < end {
            data.resize(end, 0);
        }
        data[*pos..end].copy_from_slice(src);
        *pos = end;
        if !num_written.is_null() {
            // SAFETY: non-null out pointer from the caller.
            unsafe { *num_written = n as int32 };
        }
        kResultOk
    }

    unsafe fn seek(&self, pos: int64, mode: int32, result: *mut int64) -> tresult {
        let mut inner = self.inner.lock().unwrap();
        let (data, cur) = &mut *inner;
        // kIBSeekSet, kIBSeekCur, kIBSeekEnd.
        let base = match mode {
            0 => 0,
            1 => *cur as int64,
            2 => data.len() as int64,
            _ => return kInvalidArgument,
        };
        let target = base + pos;
        if target < 0 || target > data.len() as int64 {
            return kInvalidArgument;
        }
        *cur = target as usize;
        if !result.is_null() {
            // SAFETY: non-null out pointer from the caller.
            unsafe { *result = target };
        }
        kResultOk
    }

    unsafe fn tell(&self, pos: *mut int64) -> tresult {
        if pos.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: non-null out pointer from the caller.
        unsafe { *pos = self.inner.lock().unwrap().1 as int64 };
        kResultOk
    }
}

/// The input parameter changes of one `process` call: one queue per parameter.
struct ParameterChanges {
    queues: Vec<ComWrapper<ParamQueue>>,
}

impl ParameterChanges {
    fn new(events: &[ParamEvent]) -> Self {
        let mut queues: Vec<ParamQueue> = Vec::new();
        for e in events {
            let point = (e.time as i32, e.value);
            match queues.iter_mut().find(|q| q.id == e.param_id) {
                Some(q) => q.points.push(point),
                None => queues.push(ParamQueue {
                    id: e.param_id,
                    points: vec![point],
                }),
            }
        }
        Self {
            queues: queues.into_iter().map(ComWrapper::new).collect(),
        }
    }
}

impl Class for ParameterChanges {
    type Interfaces = (IParameterChanges,);
}

impl IParameterChangesTrait for ParameterChanges {
    unsafe fn getParameterCount(&self) -> int32 {
        self.queues.len() as int32
    }

    unsafe fn getParameterData(&self, index: int32) -> *mut IParamValueQueue {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.queues.get(i))
            .and_then(|q| q.as_com_ref::<IParamValueQueue>())
            .map_or(ptr::null_mut(), |q| q.as_ptr())
    }

    unsafe fn addParameterData(
        &self,
        _id: *const ParamID,
        _index: *mut int32,
    ) -> *mut IParamValueQueue {
        // Input changes are read-only for the plugin.
        ptr::null_mut()
    }
}

/// One parameter's points: (sample offset, normalized value).
struct ParamQueue {
    id: ParamID,
    points: Vec<(i32, f64)>,
}

impl Class for ParamQueue {
    type Interfaces = (IParamValueQueue,);
}

impl IParamValueQueueTrait for ParamQueue {
    unsafe fn getParameterId(&self) -> ParamID {
        self.id
    }

    unsafe fn getPointCount(&self) -> int32 {
        self.points.len() as int32
    }

    unsafe fn getPoint(
        &self,
        index: int32,
        sample_offset: *mut int32,
        value: *mut ParamValue,
    ) -> tresult {
        let Some(&(offset, v)) = usize::try_from(index).ok().and_then(|i| self.points.get(i))
        else {
            return kInvalidArgument;
        };
        if sample_offset.is_null() || value.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: non-null out pointers from the caller.
        unsafe {
            *sample_offset = offset;
            *value = v;
        }
        kResultOk
    }

    unsafe fn addPoint(&self, _offset: int32, _value: ParamValue, _index: *mut int32) -> tresult {
        kResultFalse
    }
}
