//! The run's profile as a terminal table (`run --profile`, `bench drill`): where the
//! wall time went, per phase of the tick and per water kernel.

use super::table::pad;

/// Each phase's name in both languages, in tick order (as `engine::profile::PHASES`).
const PHASE_NAMES: [(&str, &str); 8] = [
    ("inputs", "输入 inputs"),
    ("weather", "天气 weather"),
    ("hydro", "水流 hydro"),
    ("sense", "感知 sense"),
    ("agents", "居民 agents"),
    ("forces", "力量 forces"),
    ("score", "评分 score"),
    ("record", "记录 record"),
];

/// The water's kernels in the order a sub-step runs them (the flux pass also finds the
/// next sub-step's length: there is no separate time-step pass).
const KERNELS: [&str; 6] = [
    "rain",
    "fluxes",
    "boundaries",
    "update",
    "drainage",
    "losses",
];

/// A water kernel's name in both languages.
fn kernel_name(k: &str) -> String {
    let zh = match k {
        "fluxes" => "通量与水深",
        "boundaries" => "边界",
        "update" => "水深更新与记账",
        "drainage" => "管网",
        "losses" => "下渗与排水",
        "rain" => "降雨场",
        _ => "",
    };
    // Without advection (the default) one pass computes the fluxes and the new depths
    // ([`crate::hydro::KernelTimes`]); `update` is then the boundaries' accounting.
    let en = match k {
        "fluxes" => "fluxes + depths",
        "update" => "update, accounting",
        _ => k,
    };
    format!("  · {zh} {en}")
}

/// The profile (`summary.json`'s `figures.profile`) as a table: each phase and kernel
/// with its seconds, its share of the loop's wall time and its milliseconds per tick.
pub fn profile_table(profile: &serde_json::Value) -> String {
    use std::fmt::Write as _;
    const W: usize = 40;
    let wall = profile["wall_s"].as_f64().unwrap_or(0.0).max(1e-12);
    let ticks = profile["ticks"].as_u64().unwrap_or(0);
    let per = ticks.max(1) as f64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {:>10} {:>7} {:>10}",
        pad("阶段 phase", W),
        "s",
        "%",
        "ms/tick"
    );
    let row = |out: &mut String, name: &str, s: f64| {
        let _ = writeln!(
            out,
            "{} {s:>10.3} {:>6.1}% {:>10.3}",
            pad(name, W),
            100.0 * s / wall,
            1e3 * s / per
        );
    };
    let mut inside = 0.0;
    for (key, name) in PHASE_NAMES {
        let s = profile["phases_s"][key].as_f64().unwrap_or(0.0);
        inside += s;
        row(&mut out, name, s);
        if key == "hydro"
            && let Some(k) = profile["hydro_kernels_s"].as_object()
        {
            // The model's kernels in the order a sub-step runs them, then any other.
            let mut names: Vec<&str> = KERNELS
                .iter()
                .copied()
                .filter(|n| k.contains_key(*n))
                .collect();
            names.extend(
                k.keys()
                    .map(String::as_str)
                    .filter(|n| !KERNELS.contains(n)),
            );
            let mut sum = 0.0;
            for kn in names {
                let v = k[kn].as_f64().unwrap_or(0.0);
                sum += v;
                row(&mut out, &kernel_name(kn), v);
            }
            row(
                &mut out,
                "  · 其他 other (breach, river, maxima)",
                (s - sum).max(0.0),
            );
        }
    }
    let replay = profile["replay_s"].as_f64().unwrap_or(0.0);
    row(&mut out, "回放记录 replay recording", replay);
    row(
        &mut out,
        "其他 other (progress, I/O)",
        (wall - inside - replay).max(0.0),
    );
    let _ = writeln!(
        out,
        "{} {wall:>10.3} {:>7} {:>10.3}   ({ticks} ticks 步)",
        pad("墙钟 wall time", W),
        "",
        1e3 * wall / per,
    );
    // The slowest tick (after the first): the fastest a live console can run there
    // without falling behind.
    let slow = profile["slowest_tick_s"].as_f64().unwrap_or(0.0);
    let tick = profile["tick_s"].as_f64().unwrap_or(0.0);
    if slow > 0.0 && tick > 0.0 {
        let at = profile["slowest_tick_at_s"].as_f64().unwrap_or(0.0);
        let _ = writeln!(
            out,
            "最慢一步 slowest tick (after the first): {:.1} ms at {} (×{:.0} real time at most there)",
            1e3 * slow,
            crate::scenario::duration::format_clock(at),
            tick / slow
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lines_up_and_accounts_for_the_whole_wall_time() {
        let p = serde_json::json!({
            "ticks": 4,
            "wall_s": 2.0,
            "phases_s": {"inputs": 0.1, "hydro": 1.0, "agents": 0.5},
            "replay_s": 0.2,
            "hydro_kernels_s": {"fluxes": 0.6, "drainage": 0.3},
            "slowest_tick_s": 0.8,
            "slowest_tick_at_s": 3600.0,
            "tick_s": 5.0,
        });
        let t = profile_table(&p);
        let widths: Vec<usize> = t
            .lines()
            .filter(|l| !l.starts_with("最慢"))
            .map(|l| super::super::table::display_width(l.split("   (").next().unwrap_or(l)))
            .collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{t}");
        // 2.0 s of wall: 1.6 in the phases, 0.2 recording, 0.2 other.
        assert!(t.contains("其他 other (progress, I/O)"), "{t}");
        let other = t.lines().find(|l| l.starts_with("其他")).unwrap();
        assert!(
            other.contains("0.200") && other.contains("10.0%"),
            "{other}"
        );
        assert!(t.contains("· 管网 drainage"), "{t}");
        assert!(t.contains("(4 ticks"), "{t}");
        assert!(t.contains("800.0 ms at 1:00:00 (×6 real time"), "{t}");
    }
}
