//! When the editor asks to be drawn again. While audio plays, anything on screen still moves or
//! someone uses the window, it redraws at 60 fps; while the audio is silent and nobody touches
//! it, at 10 fps, so an open editor on a stopped session costs next to nothing. A frame is
//! never requested sooner than one 60 fps interval after the last: the window system (baseview)
//! paces the draws that input triggers at the display's refresh on its own.

use std::time::Duration;

/// Frame interval while anything moves or the editor is used: 60 fps.
pub const ACTIVE_FRAME: Duration = Duration::from_micros(16_667);
/// Frame interval while the audio is silent and nothing is touched: 10 fps.
pub const IDLE_FRAME: Duration = Duration::from_millis(100);
/// How long after the last input the editor keeps the active rate (hover highlights, tooltips
/// and menus settle in that time), seconds.
pub const INPUT_GRACE_S: f64 = 1.0;

/// What the repaint decision looks at, gathered once per frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameActivity {
    /// Every meter is at its floor: no level on any bar, no loudness or ear level readout.
    pub meters_silent: bool,
    /// Something on screen still changes without new audio: a falling peak bar, a held peak,
    /// a spectrum settling, a readout counting down.
    pub moving: bool,
    /// This frame brought input: pointer movement or a press, a key, a scroll, a drag, or a
    /// text field holds the keyboard focus.
    pub input_now: bool,
    /// Seconds since the last frame that brought input (infinite if none ever did).
    pub since_input_s: f64,
}

/// The interval until the next frame: [`IDLE_FRAME`] only while the audio is silent, nothing
/// moves and nothing has been touched for [`INPUT_GRACE_S`], else [`ACTIVE_FRAME`].
pub fn repaint_interval(a: FrameActivity) -> Duration {
    let touched = a.input_now || a.since_input_s < INPUT_GRACE_S || a.since_input_s.is_nan();
    if a.meters_silent && !a.moving && !touched {
        IDLE_FRAME
    } else {
        ACTIVE_FRAME
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: FrameActivity = FrameActivity {
        meters_silent: true,
        moving: false,
        input_now: false,
        since_input_s: f64::INFINITY,
    };

    #[test]
    fn silent_and_untouched_is_ten_fps_anything_else_sixty() {
        assert_eq!(repaint_interval(IDLE), IDLE_FRAME);
        assert_eq!(IDLE_FRAME.as_secs_f64(), 0.1);
        assert!((1.0 / ACTIVE_FRAME.as_secs_f64() - 60.0).abs() < 0.01);
        for busy in [
            FrameActivity {
                meters_silent: false,
                ..IDLE
            },
            FrameActivity {
                moving: true,
                ..IDLE
            },
            FrameActivity {
                input_now: true,
                ..IDLE
            },
            FrameActivity {
                since_input_s: 0.5,
                ..IDLE
            },
            // A clock that went backwards or a NaN never idles the editor by mistake.
            FrameActivity {
                since_input_s: f64::NAN,
                ..IDLE
            },
        ] {
            assert_eq!(repaint_interval(busy), ACTIVE_FRAME, "{busy:?}");
        }
        assert_eq!(
            repaint_interval(FrameActivity {
                since_input_s: INPUT_GRACE_S,
                ..IDLE
            }),
            IDLE_FRAME
        );
    }

    #[test]
    fn never_faster_than_sixty_fps() {
        for meters_silent in [false, true] {
            for moving in [false, true] {
                for input_now in [false, true] {
                    for since_input_s in [0.0, 0.2, 1.0, 5.0, f64::INFINITY] {
                        let interval = repaint_interval(FrameActivity {
                            meters_silent,
                            moving,
                            input_now,
                            since_input_s,
                        });
                        assert!(interval >= ACTIVE_FRAME);
                    }
                }
            }
        }
    }
}
