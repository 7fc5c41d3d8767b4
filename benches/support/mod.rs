//! What the benches share: one criterion run writing where cargo builds, and
//! this run's means read back for the ratios each bench prints.

use std::path::PathBuf;
use std::time::SystemTime;

use criterion::Criterion;

/// One bench run: its criterion, and when it started.
pub struct Run {
    dir: PathBuf,
    started: SystemTime,
}

impl Run {
    /// A criterion writing into `<target>/criterion`, configured from the
    /// command line (filters, `--warm-up-time`, `--measurement-time`).
    pub fn start() -> (Self, Criterion) {
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"),
            PathBuf::from,
        );
        let dir = target.join("criterion");
        let criterion = Criterion::default()
            .output_directory(&dir)
            .configure_from_args();
        let run = Self {
            dir,
            started: SystemTime::now(),
        };
        (run, criterion)
    }

    /// The mean of benchmark `id` (`group/function`), in ns, if it ran in
    /// this run: a filtered run must not mix in figures an earlier run left.
    pub fn mean_ns(&self, id: &str) -> Option<f64> {
        let path = self.dir.join(id).join("new/estimates.json");
        if std::fs::metadata(&path).ok()?.modified().ok()? < self.started {
            return None;
        }
        let text = std::fs::read_to_string(path).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        json["mean"]["point_estimate"].as_f64()
    }
}
