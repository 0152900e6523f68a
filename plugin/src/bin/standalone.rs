//! Cuewire as a standalone application (JACK, ALSA, or the dummy backend with `--backend dummy`).
//! `CUEWIRE_DEMO=1` feeds a synthetic programme so the meters move without an interface.

fn main() {
    nice_plug::nice_export_standalone::<cuewire::CuewireMonitor>();
}
