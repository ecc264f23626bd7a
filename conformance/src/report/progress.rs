//! The live view of a run on stderr: a bar with the scenario just finished, and a line above it
//! for each failure or error as soon as it happens, so a long run need not be waited out to
//! see what broke. It draws nothing when stderr is not a terminal (CI logs, pipes), and the
//! report proper goes to stdout or `--out` either way.

use super::text::progress_line;
use crate::result::{Outcome, ScenarioResult};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const TEMPLATE: &str = "{elapsed:>4} [{bar:32}] {pos}/{len} {wide_msg}";

/// Cloning gives another handle on the same bar, for runners that finish scenarios on several
/// tasks.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: ProgressBar,
    /// Whether failure lines carry ANSI colour: only when drawing on a real terminal.
    color: bool,
}

impl Progress {
    /// Draws on stderr when it is a terminal (and `TERM` is not `dumb`); hidden otherwise.
    pub fn stderr() -> Progress {
        Progress::to(ProgressDrawTarget::stderr(), true)
    }

    /// Draws nothing: for tests and for runs whose caller wants no progress.
    pub fn hidden() -> Progress {
        Progress::to(ProgressDrawTarget::hidden(), false)
    }

    fn to(target: ProgressDrawTarget, color: bool) -> Progress {
        // The template is a constant that `style_template_is_valid` parses.
        let style = ProgressStyle::with_template(TEMPLATE)
            .expect("the progress template is valid")
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(0), target).with_style(style);
        Progress { bar, color }
    }

    /// The run begins with `total` scenarios.
    pub fn start(&self, total: usize) {
        self.bar.set_length(total as u64);
        self.bar.set_position(0);
        self.bar.reset_elapsed();
    }

    /// One scenario is done: the bar advances and names it; a failure or error is also printed
    /// above the bar, where it stays.
    pub fn finished(&self, result: &ScenarioResult) {
        if result.outcome != Outcome::Pass {
            self.bar.println(progress_line(result, self.color));
        }
        self.bar.set_message(result.id.clone());
        self.bar.inc(1);
    }

    /// The run is over: the bar is cleared, leaving the failure lines and the terminal to the
    /// report.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use indicatif::TermLike;
    use std::io;
    use std::sync::{Arc, Mutex};

    /// A terminal that keeps what is written to it.
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<String>>);

    impl Screen {
        fn text(&self) -> String {
            self.0.lock().expect("no test thread panicked").clone()
        }
        fn write(&self, s: &str) -> io::Result<()> {
            self.0.lock().expect("no test thread panicked").push_str(s);
            Ok(())
        }
    }

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            120
        }
        fn move_cursor_up(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> io::Result<()> {
            self.write(s)?;
            self.write("\n")
        }
        fn write_str(&self, s: &str) -> io::Result<()> {
            self.write(s)
        }
        fn clear_line(&self) -> io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn failures_and_errors_are_printed_above_the_bar_and_passes_are_not() {
        let screen = Screen::default();
        let progress = Progress::to(
            ProgressDrawTarget::term_like(Box::new(screen.clone())),
            false,
        );
        let report = fixture::report();
        progress.start(report.scenarios.len());
        for result in &report.scenarios {
            progress.finished(result);
        }
        assert_eq!(progress.bar.position(), 4);
        assert_eq!(progress.bar.length(), Some(4));
        assert_eq!(
            progress.bar.message(),
            "saml.fault.xsw3-wrapped-assertion-before-signed-one"
        );
        progress.finish();
        assert!(progress.bar.is_finished());
        // indicatif pads each line to the terminal's width rather than ending it.
        let text = screen.text();
        assert!(text.contains(
            "FAIL saml.audience.missing: expected refused: audience_missing, got accepted "
        ));
        assert!(text.contains(
            "ERROR scim.okta.deactivate: expected every step passes, got could not run: \
             connection refused "
        ));
        assert!(!text.contains("pass saml.audience.present"));
        assert!(!text.contains('\x1b'), "no colour was asked for: {text:?}");
    }

    #[test]
    fn hidden_progress_counts_without_drawing() {
        let progress = Progress::hidden();
        assert!(progress.bar.is_hidden());
        progress.start(2);
        progress.finished(&fixture::report().scenarios[1]);
        assert_eq!(progress.bar.position(), 1);
        progress.finish();
    }

    #[test]
    fn style_template_is_valid() {
        assert!(ProgressStyle::with_template(TEMPLATE).is_ok());
    }
}
