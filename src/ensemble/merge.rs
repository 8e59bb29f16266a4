//! Merging: the members' results from any number of shard folders, in any order, into
//! one result — the same bytes as a one-machine run, because every figure is computed
//! from the results sorted by (plan, member) and the bootstrap draws come from the
//! ensemble's hash.
//!
//! Writes into the output folder: `ensemble_summary.json` (everything below),
//! `members.csv` (a row per plan and member: its draws, scores and measures),
//! `criteria.csv` (per plan and criterion: mean, quantiles, share passing),
//! `paired.csv` (per plan against the baseline: mean paired difference with its
//! bootstrap 95 % interval), `prob_depth_gt_0.15m_<plan>.asc` and `…0.5m…` (the share
//! of members whose maximum depth passed the threshold, per cell) with their PNG maps
//! in `maps/`, and `ensemble.html`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::EnsembleError;
use super::local::{MANIFEST, Manifest, write_atomic};
use super::member::{Draws, MemberResult, unpack_mask};
pub use super::stats::{
    Collected, Merged, Paired, PlanMetric, PlanSummary, QUANTILES, Stats, bootstrap_ci, quantile,
    stats,
};

fn folder_err(path: &Path, message: impl Into<String>) -> EnsembleError {
    EnsembleError::Folder {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Read the manifests and results of shard folders.
pub fn collect(dirs: &[PathBuf], allow_missing: bool) -> Result<Collected, EnsembleError> {
    let mut manifest: Option<(PathBuf, Manifest)> = None;
    let mut results: BTreeMap<(usize, u32), (PathBuf, MemberResult)> = BTreeMap::new();
    if dirs.is_empty() {
        return Err(EnsembleError::Usage(
            "give at least one ensemble folder".into(),
        ));
    }
    for d in dirs {
        let mp = d.join(MANIFEST);
        let text = std::fs::read_to_string(&mp).map_err(|e| {
            folder_err(
                &mp,
                format!("cannot read the manifest ({e}): is this an ensemble output folder?"),
            )
        })?;
        let m: Manifest = serde_json::from_str(&text)
            .map_err(|e| folder_err(&mp, format!("not an ensemble manifest: {e}")))?;
        if m.plans.is_empty() {
            return Err(folder_err(&mp, "the manifest names no plans"));
        }
        match &manifest {
            Some((p0, m0)) if m0.hash != m.hash => {
                return Err(folder_err(
                    &mp,
                    format!(
                        "holds ensemble {:?} (hash {}…), but {} holds {:?} (hash {}…): shards of different ensembles cannot be merged",
                        m.name,
                        &m.hash[..12.min(m.hash.len())],
                        p0.display(),
                        m0.name,
                        &m0.hash[..12.min(m0.hash.len())]
                    ),
                ));
            }
            Some(_) => {}
            None => manifest = Some((mp.clone(), m.clone())),
        }
        for (pi, (pid, _)) in m.plans.iter().enumerate() {
            let pdir = d.join("members").join(pid);
            let Ok(entries) = std::fs::read_dir(&pdir) else {
                continue;
            };
            let mut names: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            names.sort();
            for md in names {
                let rp = md.join("result.json");
                let Ok(text) = std::fs::read_to_string(&rp) else {
                    continue;
                };
                let r: MemberResult = serde_json::from_str(&text)
                    .map_err(|e| folder_err(&rp, format!("not a member result: {e}")))?;
                if r.ensemble_hash != m.hash || r.plan != *pid {
                    return Err(folder_err(
                        &rp,
                        "belongs to another ensemble or plan than its folder's manifest",
                    ));
                }
                let cells = r
                    .grid
                    .ncols
                    .checked_mul(r.grid.nrows)
                    .filter(|c| *c <= crate::world::asc::MAX_CELLS);
                let masks_fit = cells.is_some_and(|c| {
                    unpack_mask(&r.wet_015, c).is_some() && unpack_mask(&r.wet_05, c).is_some()
                });
                if !masks_fit {
                    return Err(folder_err(
                        &rp,
                        format!(
                            "its grid ({} × {}) and depth masks do not agree (at most {} cells)",
                            r.grid.ncols,
                            r.grid.nrows,
                            crate::world::asc::MAX_CELLS
                        ),
                    ));
                }
                if r.member >= m.members {
                    return Err(folder_err(
                        &rp,
                        format!("member {} of an ensemble of {}", r.member, m.members),
                    ));
                }
                match results.get(&(pi, r.member)) {
                    Some((p0, r0)) if *r0 != r => {
                        return Err(folder_err(
                            &rp,
                            format!(
                                "differs from the same member in {}: the runs are not reproducible here (digest {} vs {})",
                                p0.display(),
                                r.final_state_digest,
                                r0.final_state_digest
                            ),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        results.insert((pi, r.member), (rp.clone(), r));
                    }
                }
            }
        }
    }
    let (_, manifest) = manifest.expect("at least one folder was read");
    if let Some((p0, r0)) = results.values().next() {
        for (p, r) in results.values() {
            if r.grid != r0.grid {
                return Err(folder_err(
                    p,
                    format!(
                        "its grid ({} × {} cells of {} m) is not that of {} ({} × {} of {} m)",
                        r.grid.ncols,
                        r.grid.nrows,
                        r.grid.cell,
                        p0.display(),
                        r0.grid.ncols,
                        r0.grid.nrows,
                        r0.grid.cell
                    ),
                ));
            }
        }
    }
    let mut missing = Vec::new();
    for (pi, (pid, _)) in manifest.plans.iter().enumerate() {
        for m in 0..manifest.members {
            if !results.contains_key(&(pi, m)) {
                missing.push((pid.clone(), m));
            }
        }
    }
    if !missing.is_empty() && !allow_missing {
        let shown: Vec<String> = missing
            .iter()
            .take(10)
            .map(|(p, m)| format!("{p}/{m}"))
            .collect();
        return Err(EnsembleError::Incomplete(format!(
            "{} of {} runs are missing ({}{}): run the missing shards (or the same command again to resume), or merge with --allow-missing",
            missing.len(),
            manifest.plans.len() as u64 * manifest.members as u64,
            shown.join(", "),
            if missing.len() > 10 { ", …" } else { "" }
        )));
    }
    Ok(Collected {
        manifest,
        results: results.into_iter().map(|(k, (_, r))| (k, r)).collect(),
        missing,
    })
}

fn measure_name(k: &str) -> &str {
    match k {
        "persons_not_safe_at_end" => "未安全人数 persons not safe at the end",
        "persons_trapped" => "被困人数 persons trapped",
        "persons_rescued" => "获救人数 persons rescued",
        "rescue_requests" => "求救数 rescue requests",
        "max_depth_m" => "最大水深 maximum depth, m",
        "area_over_0_15m_m2" => "积水面积 area over 0.15 m, m²",
        "rain_m3" => "降雨量 rain, m³",
        "pumped_m3" => "抽排量 pumped, m³",
        "clearance_90_s" => "90 % 转移完成 90 % of evacuees safe, s",
        "clearance_100_s" => "全部转移完成 all evacuees safe, s",
        "persons_told_to_evacuate" => "需转移人数 persons told to evacuate",
        "persons_told_to_evacuate_never_safe" => "未能转移 told to evacuate, never safe",
        other => other,
    }
}

/// Compute the merged figures.
pub fn summarise(c: &Collected, bootstrap: u32, seed: u64) -> (Merged, Vec<[Vec<u32>; 2]>) {
    let m = &c.manifest;
    let members = m.members;
    let mut draws: Vec<Draws> = vec![Draws::default(); members as usize];
    for ((_, k), r) in &c.results {
        draws[*k as usize] = r.draws.clone();
    }
    // Score metrics: overall, then the criteria in the first result's order.
    let mut score_ids: Vec<(String, String)> = vec![("overall".into(), "总分 overall".into())];
    let mut measure_ids: Vec<String> = Vec::new();
    for r in c.results.values() {
        for cr in &r.criteria {
            if !score_ids.iter().any(|(id, _)| *id == cr.id) {
                score_ids.push((cr.id.clone(), cr.name.clone()));
            }
        }
        for k in r.measures.keys() {
            if !measure_ids.contains(k) {
                measure_ids.push(k.clone());
            }
        }
    }
    measure_ids.sort();
    let score_of = |r: &MemberResult, id: &str| -> Option<(f64, bool)> {
        if id == "overall" {
            Some((r.overall?, r.pass?))
        } else {
            r.criteria
                .iter()
                .find(|c| c.id == id)
                .map(|c| (c.score, c.pass))
        }
    };
    let mut plans = Vec::new();
    let mut counts = Vec::new();
    for (pi, (pid, pname)) in m.plans.iter().enumerate() {
        let rs: Vec<&MemberResult> = (0..members)
            .filter_map(|k| c.results.get(&(pi, k)))
            .collect();
        let scores = score_ids
            .iter()
            .map(|(id, name)| {
                let v: Vec<(f64, bool)> = rs.iter().filter_map(|r| score_of(r, id)).collect();
                let vals: Vec<f64> = v.iter().map(|x| x.0).collect();
                PlanMetric {
                    metric: id.clone(),
                    name: name.clone(),
                    stats: stats(&vals),
                    pass_share: (!v.is_empty())
                        .then(|| v.iter().filter(|x| x.1).count() as f64 / v.len() as f64),
                }
            })
            .collect();
        let measures = measure_ids
            .iter()
            .map(|k| {
                let vals: Vec<f64> = rs
                    .iter()
                    .filter_map(|r| r.measures.get(k).copied())
                    .collect();
                PlanMetric {
                    metric: k.clone(),
                    name: measure_name(k).to_string(),
                    stats: stats(&vals),
                    pass_share: None,
                }
            })
            .collect();
        let resp: Vec<f64> = rs
            .iter()
            .flat_map(|r| r.rescue_response_s.iter().copied())
            .collect();
        // Probability maps: counts per cell.
        let mut cnt = [Vec::new(), Vec::new()];
        for r in &rs {
            let cells = r.grid.ncols * r.grid.nrows;
            for (j, mask) in [&r.wet_015, &r.wet_05].into_iter().enumerate() {
                if let Some(bits) = unpack_mask(mask, cells) {
                    if cnt[j].len() != cells {
                        cnt[j] = vec![0u32; cells];
                    }
                    for (c, b) in cnt[j].iter_mut().zip(bits) {
                        *c += b as u32;
                    }
                }
            }
        }
        let mut paired = Vec::new();
        if pi > 0 {
            for (id, name) in &score_ids {
                let pairs: Vec<((f64, bool), (f64, bool))> = (0..members)
                    .filter_map(|k| {
                        let a = score_of(c.results.get(&(0, k))?, id)?;
                        let b = score_of(c.results.get(&(pi, k))?, id)?;
                        Some((a, b))
                    })
                    .collect();
                if pairs.is_empty() {
                    continue;
                }
                let d: Vec<f64> = pairs.iter().map(|(a, b)| b.0 - a.0).collect();
                let dp: Vec<f64> = pairs
                    .iter()
                    .map(|(a, b)| b.1 as u8 as f64 - a.1 as u8 as f64)
                    .collect();
                let n = d.len();
                paired.push(Paired {
                    metric: id.clone(),
                    name: name.clone(),
                    n,
                    mean_diff: d.iter().sum::<f64>() / n as f64,
                    ci95: bootstrap_ci(&d, bootstrap, seed, &format!("paired/{pid}/{id}")),
                    better: d.iter().filter(|x| **x > 1e-9).count(),
                    worse: d.iter().filter(|x| **x < -1e-9).count(),
                    pass_share_diff: Some(dp.iter().sum::<f64>() / n as f64),
                    pass_share_ci95: bootstrap_ci(
                        &dp,
                        bootstrap,
                        seed,
                        &format!("paired-pass/{pid}/{id}"),
                    ),
                });
            }
        }
        plans.push(PlanSummary {
            id: pid.clone(),
            name: pname.clone(),
            members: rs.iter().filter(|r| r.overall.is_some()).count(),
            failed_runs: rs.iter().filter(|r| r.status != "completed").count(),
            scores,
            measures,
            rescue_response_s: stats(&resp),
            paired,
            cells_ever_over_0_15m: cnt[0].iter().filter(|c| **c > 0).count(),
        });
        counts.push(cnt);
    }
    (
        Merged {
            name: m.name.clone(),
            hash: m.hash.clone(),
            members,
            bootstrap,
            draws,
            plans,
            missing: c.missing.clone(),
        },
        counts,
    )
}

fn csv_err(path: &Path) -> impl FnOnce(csv::Error) -> EnsembleError + '_ {
    move |e| EnsembleError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    }
}

fn write_csv(path: &Path, rows: &[Vec<String>]) -> Result<(), EnsembleError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(r).map_err(csv_err(path))?;
    }
    let bytes = w.into_inner().map_err(|e| EnsembleError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    write_atomic(path, &bytes)
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.6}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        String::new()
    }
}

/// What a merge wrote.
pub struct MergeOutcome {
    /// The figures.
    pub merged: Merged,
    /// Files written (relative to the output folder).
    pub files: Vec<String>,
    /// Notes (maps left out and why).
    pub notes: Vec<String>,
}

/// Merge shard folders into `out`.
pub fn merge(
    dirs: &[PathBuf],
    out: &Path,
    allow_missing: bool,
) -> Result<MergeOutcome, EnsembleError> {
    let c = collect(dirs, allow_missing)?;
    // The bootstrap size and seed come from the specification the manifest carries.
    let spec_path = PathBuf::from(&c.manifest.spec_file);
    let spec: super::spec::EnsembleFile =
        crate::scenario::parse_as(&spec_path, &c.manifest.spec_text)
            .map_err(EnsembleError::Spec)?;
    let seed = {
        let b = blake3::hash(c.manifest.hash.as_bytes());
        let mut s = [0u8; 8];
        s.copy_from_slice(&b.as_bytes()[..8]);
        u64::from_le_bytes(s)
    };
    let (merged, counts) = summarise(&c, spec.bootstrap, seed);
    std::fs::create_dir_all(out).map_err(|source| EnsembleError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    let mut notes = Vec::new();
    // members.csv
    let crit_ids: Vec<String> = merged.plans[0]
        .scores
        .iter()
        .map(|s| s.metric.clone())
        .collect();
    let mut draw_cols: Vec<&'static str> = Vec::new();
    for d in &merged.draws {
        for (k, _) in d.columns() {
            if !draw_cols.contains(&k) {
                draw_cols.push(k);
            }
        }
    }
    let measure_cols: Vec<String> = merged.plans[0]
        .measures
        .iter()
        .map(|m| m.metric.clone())
        .collect();
    let mut rows = vec![{
        let mut h = vec![
            "plan".to_string(),
            "member".to_string(),
            "status".to_string(),
        ];
        h.extend(draw_cols.iter().map(|s| s.to_string()));
        h.extend(crit_ids.iter().cloned());
        h.push("pass".into());
        h.extend(measure_cols.iter().cloned());
        h.push("final_state_digest".into());
        h
    }];
    for ((pi, k), r) in &c.results {
        let mut row = vec![
            c.manifest.plans[*pi].0.clone(),
            k.to_string(),
            r.status.clone(),
        ];
        let dc = r.draws.columns();
        for col in &draw_cols {
            row.push(
                dc.iter()
                    .find(|(n, _)| n == col)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
            );
        }
        for id in &crit_ids {
            let v = if id == "overall" {
                r.overall
            } else {
                r.criteria.iter().find(|c| &c.id == id).map(|c| c.score)
            };
            row.push(v.map(num).unwrap_or_default());
        }
        row.push(r.pass.map(|p| p.to_string()).unwrap_or_default());
        for mc in &measure_cols {
            row.push(r.measures.get(mc).map(|v| num(*v)).unwrap_or_default());
        }
        row.push(r.final_state_digest.clone());
        rows.push(row);
    }
    write_csv(&out.join("members.csv"), &rows)?;
    files.push("members.csv".to_string());
    // criteria.csv
    let mut rows = vec![
        [
            "plan",
            "metric",
            "name",
            "n",
            "mean",
            "sd",
            "min",
            "p05",
            "p25",
            "p50",
            "p75",
            "p95",
            "max",
            "pass_share",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for p in &merged.plans {
        for m in p.scores.iter().chain(&p.measures) {
            let mut row = vec![p.id.clone(), m.metric.clone(), m.name.clone()];
            match &m.stats {
                Some(s) => {
                    row.push(s.n.to_string());
                    row.extend([s.mean, s.sd, s.min].map(num));
                    row.extend(s.q.map(num));
                    row.push(num(s.max));
                }
                None => row.extend(std::iter::repeat_n(String::new(), 10)),
            }
            row.push(m.pass_share.map(num).unwrap_or_default());
            rows.push(row);
        }
    }
    write_csv(&out.join("criteria.csv"), &rows)?;
    files.push("criteria.csv".to_string());
    // paired.csv
    let mut rows = vec![
        [
            "plan",
            "baseline",
            "metric",
            "name",
            "n",
            "mean_diff",
            "ci95_low",
            "ci95_high",
            "better",
            "worse",
            "pass_share_diff",
            "pass_ci95_low",
            "pass_ci95_high",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for p in &merged.plans[1..] {
        for d in &p.paired {
            rows.push(vec![
                p.id.clone(),
                merged.plans[0].id.clone(),
                d.metric.clone(),
                d.name.clone(),
                d.n.to_string(),
                num(d.mean_diff),
                d.ci95.map(|c| num(c.0)).unwrap_or_default(),
                d.ci95.map(|c| num(c.1)).unwrap_or_default(),
                d.better.to_string(),
                d.worse.to_string(),
                d.pass_share_diff.map(num).unwrap_or_default(),
                d.pass_share_ci95.map(|c| num(c.0)).unwrap_or_default(),
                d.pass_share_ci95.map(|c| num(c.1)).unwrap_or_default(),
            ]);
        }
    }
    write_csv(&out.join("paired.csv"), &rows)?;
    files.push("paired.csv".to_string());
    // Probability grids.
    let grid = c.results.values().next().map(|r| r.grid);
    let mut prob_grids: Vec<(String, [Vec<f64>; 2])> = Vec::new();
    if let Some(spec) = grid {
        for (p, cnt) in merged.plans.iter().zip(&counts) {
            let n = c
                .results
                .iter()
                .filter(|((pi, _), _)| merged.plans[*pi].id == p.id)
                .count()
                .max(1) as f64;
            let mut pair: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
            for (j, thr) in ["0.15m", "0.5m"].iter().enumerate() {
                if cnt[j].len() != spec.ncols * spec.nrows {
                    continue;
                }
                let data: Vec<f64> = cnt[j].iter().map(|c| *c as f64 / n).collect();
                let g = crate::world::Grid { spec, data };
                let name = format!("prob_depth_gt_{thr}_{}.asc", p.id);
                crate::world::write_asc(&out.join(&name), &g, None, 4).map_err(|e| {
                    EnsembleError::Io {
                        path: out.join(&name),
                        source: std::io::Error::other(e.to_string()),
                    }
                })?;
                files.push(name);
                pair[j] = g.data;
            }
            prob_grids.push((p.id.clone(), pair));
        }
    }
    // Maps over the first plan's terrain.
    let first_plan_scenario = super::spec::load_spec(&spec_path)
        .ok()
        .map(|e| e.plans[0].scenario.clone());
    let mut maps: Vec<(String, String, Vec<u8>)> = Vec::new();
    match &first_plan_scenario {
        Some(s) if grid.is_some_and(|g| g == s.dem.spec) => {
            for (pid, pair) in &prob_grids {
                for (j, thr) in ["0.15", "0.5"].iter().enumerate() {
                    if pair[j].is_empty() {
                        continue;
                    }
                    let title = format!(
                        "{pid}: 最大水深超过 {thr} m 的概率 probability of max depth > {thr} m"
                    );
                    let png = super::html::probability_map(s, &pair[j], &title).map_err(|e| {
                        EnsembleError::Io {
                            path: out.join("maps"),
                            source: std::io::Error::other(e.to_string()),
                        }
                    })?;
                    let name = format!("maps/prob_depth_gt_{thr}m_{pid}.png");
                    write_atomic(&out.join(&name), &png)?;
                    files.push(name.clone());
                    maps.push((pid.clone(), title, png));
                }
            }
        }
        _ => notes.push(format!(
            "no probability maps: the first plan's scenario ({}) does not load here or its DEM is not the members' grid",
            spec_path.display()
        )),
    }
    let json = serde_json::to_string_pretty(&merged).unwrap_or_default() + "\n";
    write_atomic(&out.join("ensemble_summary.json"), json.as_bytes())?;
    files.push("ensemble_summary.json".to_string());
    let html = super::html::report(&merged, &spec, &c, &maps);
    write_atomic(&out.join("ensemble.html"), html.as_bytes())?;
    files.push("ensemble.html".to_string());
    Ok(MergeOutcome {
        merged,
        files,
        notes,
    })
}
