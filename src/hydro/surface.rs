//! 2D surface flow: the local inertial scheme on the raster (the hot kernels).
//!
//! # What
//! Bates, Horritt & Fewtrell (2010) with the θ-weighting of de Almeida et al. (2012),
//! as in LISFLOOD-FP's ACC solver. State: depth `h` per cell (m) and unit discharges on
//! cell faces (m²/s): `qx` on the `ncols + 1` x-faces of each row (face `c` is the west
//! face of cell `c`, positive eastward) and `qy` on the `nrows + 1` face rows (face row
//! `r` is the north face of cell row `r`, **positive southward**, i.e. toward increasing
//! row index — row 0 is the northern row, as in [`crate::world::Grid`]).
//!
//! # How (one sub-step of length Δt)
//! 1. **Flux pass** (parallel over row chunks, writes new face discharges into scratch):
//!    `h_f = max(η_i, η_j) − max(z_i, z_j)`; no flow if `h_f ≤ depth_threshold`; else
//!    `q ← [q' − g·h_f·Δt·(η_j − η_i)/Δx] / [1 + g·Δt·n_f²·|q|/h_f^(7/3)]`, with
//!    `q' = θ·q + (1−θ)/2·(q_left + q_right)`, `n_f` the mean of the two cells' n and
//!    `|q|` either `|q_x|` or the 2D magnitude with the cross-direction part averaged
//!    from the four neighbouring cross faces (LISFLOOD-FP's choice, the default).
//!    `h_f^(−1/3)` comes from a bit-level guess plus Newton steps, so the loop has no
//!    `powf` call and vectorises. The flux pass also folds an integer reduction that
//!    flags any non-finite discharge.
//! 2. Boundary fluxes are written on the edge faces (see `boundary`).
//! 3. **Update pass** (parallel over row chunks): each cell's outgoing volume in the
//!    step is limited to what it holds (`h + rain·Δt`) by a factor `f ≤ 1`; every face
//!    carries `q·f(upwind cell)`, so both neighbours see the same flux (exact mass
//!    conservation) and no depth goes negative. `h_new = h + rain·Δt + Δt/Δx·Σ(q_in −
//!    q_out)`. The factors of the rows around a chunk are recomputed by that chunk
//!    (pure functions of the old state), so no chunk reads what another one writes. The
//!    pass folds the new maximum depth (for the next CFL step) and a count of negative
//!    depths into integer reductions (exact, order-independent).
//!
//! The new depth goes to a second buffer and the new discharges stay in scratch until
//! the step passes its health checks, so a failed step is rolled back by not swapping.
//! The momentum state keeps the unlimited discharges (as LISFLOOD-FP does); the limiter
//! only acts on the volume moved in cells that would otherwise run dry in that step.
//!
//! # Determinism
//! Every value written is a pure function of the previous state, each written by one
//! task; the reductions are integer max/sum. Results are bit-identical on any thread
//! count. Mirror symmetry holds exactly too: the sums over opposite faces are grouped in
//! pairs so that a mirrored grid rounds the same way. The wide-SIMD variants (AVX2,
//! chosen at run time) compute the same IEEE operations (no fused multiply-add, which
//! Rust never forms implicitly), so they agree bit for bit with the plain build.
//!
//! # Precision: f32 vs f64
//! [`crate::hydro::HydroModel`] uses **f64**; the kernels are generic and
//! [`crate::hydro::HydroModelF32`] exists for measurement. Measured on this machine:
//! - plane wave (dx 10/25/50, t 1800/3600 s): identical RMSE to 0.01 mm in both — the
//!   scheme's own error (~4 cm, the front lag) dominates;
//! - V-catchment: equilibrium outflow 4.8605 (f64) vs 4.8600 m³/s (f32); volume error
//!   4e-14 (f64) vs 5e-6 (f32) of the rain;
//! - lake at rest (η = 40.7 m over a bed near 40 m, 2 h): max |q| exactly 0 in f64,
//!   3e-5 m²/s of noise in f32 (an ulp of `z + h` at 40 m is 4 µm, and it drives flow);
//! - speed at 1024², wet urban grid: f32 ≈ 1.6× f64 on one thread (half the bytes).
//!
//! f64 clears the 100 M cell-updates/s target on 2 threads as well, so the exact lake,
//! the round-off balance and replay-friendly exactness win. The friction factor
//! `h_f^(−1/3)` is evaluated in f32 precision in both (see [`Real::inv_cbrt`]).
//!
//! Units: metres, seconds, m²/s; Manning's n in s·m^(−1/3).

#[cfg(target_arch = "x86_64")]
use std::sync::OnceLock;

use rayon::prelude::*;

use super::real::Real;

/// Rows per parallel task. Fixed (never derived from the thread count), although the
/// results would not depend on it either: every value is a pure function of the old
/// state.
pub const CHUNK_ROWS: usize = 16;

/// Bed elevation given to blocked cells (buildings) inside the kernels, relative to the
/// model's reference level: far above any water surface, so every face of a blocked
/// cell has `h_f ≤ 0` and stays closed.
pub const BLOCKED_Z: f64 = 1.0e6;

/// Parameters of the surface-flow scheme.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurfaceParams {
    /// Gravitational acceleration, m/s². Default 9.80655 (LISFLOOD-FP's value).
    pub g: f64,
    /// CFL factor α in `Δt = α·Δx/√(g·h_max)`. Default 0.7; must be in (0, 1].
    pub alpha: f64,
    /// Largest sub-step, s (dry or shallow domains). Default 10.
    pub max_dt: f64,
    /// Faces with a flow depth at or below this carry no flow, m. Default 0.001.
    pub depth_threshold: f64,
    /// θ weighting (de Almeida et al. 2012): 1 = plain Bates et al. 2010 (default),
    /// 0.7–0.9 damps checkerboard oscillation at low friction.
    pub theta: f64,
    /// Friction uses the 2D discharge magnitude at the face (cross part averaged from
    /// the four neighbouring cross faces), as LISFLOOD-FP does. Default true.
    pub friction_2d: bool,
    /// How many times a failed sub-step is retried with half the Δt before the run
    /// stops with an error. Default 3.
    pub max_retries: u32,
    /// Use the wide-SIMD (AVX2) kernels when the CPU has them. Default true. The
    /// results are bit-identical either way; this exists for testing that.
    pub wide_simd: bool,
}

impl Default for SurfaceParams {
    fn default() -> Self {
        Self {
            g: 9.80655,
            alpha: 0.7,
            max_dt: 10.0,
            depth_threshold: 0.001,
            theta: 1.0,
            friction_2d: true,
            max_retries: 3,
            wide_simd: true,
        }
    }
}

impl SurfaceParams {
    /// Check the parameters, naming the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        let bad = |name: &str, v: f64, want: &str| Err(format!("surface.{name} = {v}: {want}"));
        if !(self.g > 0.0 && self.g.is_finite()) {
            return bad("g", self.g, "expected a positive number");
        }
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return bad("alpha", self.alpha, "expected 0 < alpha ≤ 1 (stability)");
        }
        if !(self.max_dt > 0.0 && self.max_dt.is_finite()) {
            return bad(
                "max_dt",
                self.max_dt,
                "expected a positive number of seconds",
            );
        }
        if !(self.depth_threshold > 0.0 && self.depth_threshold < 1.0) {
            return bad(
                "depth_threshold",
                self.depth_threshold,
                "expected 0 < threshold < 1 m",
            );
        }
        if !(self.theta > 0.0 && self.theta <= 1.0) {
            return bad("theta", self.theta, "expected 0 < theta ≤ 1");
        }
        Ok(())
    }
}

/// Grid shape as the kernels see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dims {
    pub nr: usize,
    pub nc: usize,
}

/// Constants of one flux pass.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FluxK<R> {
    g_dt: R,
    g_dt_dx: R,
    thr: R,
    theta: R,
    half_1m_theta: R,
    half: R,
    quarter: R,
}

impl<R: Real> FluxK<R> {
    pub(crate) fn new(p: &SurfaceParams, dx: f64, dt: f64) -> Self {
        Self {
            g_dt: R::from_f64(p.g * dt),
            g_dt_dx: R::from_f64(p.g * dt / dx),
            thr: R::from_f64(p.depth_threshold),
            theta: R::from_f64(p.theta),
            half_1m_theta: R::from_f64(0.5 * (1.0 - p.theta)),
            half: R::from_f64(0.5),
            quarter: R::from_f64(0.25),
        }
    }
}

/// Read-only inputs of the flux pass.
pub(crate) struct FluxIn<'a, R> {
    pub z: &'a [R],
    pub h: &'a [R],
    pub n: &'a [R],
    pub qx: &'a [R],
    pub qy: &'a [R],
}

/// Constants of one update pass.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UpdK<R> {
    /// Rain scalar × Δt (m); the per-cell rain is `rain_dt · w[i]`.
    pub rain_dt: R,
    pub dt_dx: R,
    /// Depths below this (before clamping to 0) count as negative: beyond round-off.
    pub neg_tol: R,
}

/// Read-only inputs of the update pass.
pub(crate) struct UpdIn<'a, R> {
    pub h: &'a [R],
    pub w: &'a [R],
    pub qx: &'a [R],
    pub qy: &'a [R],
}

/// What the update pass found.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct UpdOut<B> {
    /// Bit pattern of the largest new depth (≥ `INF_BITS` if any is not finite).
    pub hmax_bits: B,
    /// Number of cells whose new depth was negative beyond round-off.
    pub negative: u64,
}

#[inline(always)]
fn pos<R: Real>(v: R) -> R {
    if v > R::ZERO { v } else { R::ZERO }
}

#[inline(always)]
fn exp_max<R: Real>(row: &[R]) -> R::Bits {
    let mut m = R::Bits::default();
    for &v in row {
        let e = R::and_bits(v.bits(), R::EXP_BITS);
        m = if e > m { e } else { m };
    }
    m
}

/// New discharges on the x-faces of one row (faces 1..nc; the edge faces get 0).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn flux_x_row<R: Real, const THETA: bool, const Q2D: bool>(
    k: &FluxK<R>,
    z: &[R],
    h: &[R],
    n: &[R],
    q: &[R],
    qyn: &[R],
    qys: &[R],
    out: &mut [R],
) {
    let nc = z.len();
    out[0] = R::ZERO;
    out[nc] = R::ZERO;
    if nc < 2 {
        return;
    }
    let m = nc - 1;
    let (zl, zr) = (&z[..m], &z[1..nc]);
    let (hl, hr) = (&h[..m], &h[1..nc]);
    let (nl, nr) = (&n[..m], &n[1..nc]);
    let (qm, qc, qp) = (&q[..m], &q[1..nc], &q[2..nc + 1]);
    let (an, bn) = (&qyn[..m], &qyn[1..nc]);
    let (as_, bs) = (&qys[..m], &qys[1..nc]);
    let o = &mut out[1..nc];
    assert!(zl.len() == m && zr.len() == m && hl.len() == m && hr.len() == m);
    assert!(nl.len() == m && nr.len() == m && qm.len() == m && qc.len() == m && qp.len() == m);
    assert!(an.len() == m && bn.len() == m && as_.len() == m && bs.len() == m && o.len() == m);
    for i in 0..m {
        o[i] = face_q::<R, THETA, Q2D>(
            k,
            [zl[i], zr[i]],
            [hl[i], hr[i]],
            [nl[i], nr[i]],
            qc[i],
            qm[i] + qp[i],
            (an[i] + bn[i]) + (as_[i] + bs[i]),
        );
    }
}

/// The new discharge on one face between cells `a` and `b` (bed `z`, depth `h`,
/// Manning `n` of each), from its discharge `q0`, the sum of its two same-direction
/// neighbours (θ weighting) and the sum of the four cross-direction faces around it
/// (2D friction magnitude). Shared by the x and y passes so both use one formula.
#[inline(always)]
fn face_q<R: Real, const THETA: bool, const Q2D: bool>(
    k: &FluxK<R>,
    z: [R; 2],
    h: [R; 2],
    n: [R; 2],
    q0: R,
    q_neighbours: R,
    q_cross: R,
) -> R {
    let el = z[0] + h[0];
    let er = z[1] + h[1];
    let hf = el.vmax(er) - z[0].vmax(z[1]);
    let qa = if THETA {
        k.theta * q0 + k.half_1m_theta * q_neighbours
    } else {
        q0
    };
    let qmag = if Q2D {
        let c = k.quarter * q_cross;
        (q0 * q0 + c * c).sqrt()
    } else {
        q0.vabs()
    };
    let nf = k.half * (n[0] + n[1]);
    let y = hf.vmax(k.thr).inv_cbrt();
    let y2 = y * y;
    let y7 = y2 * y2 * y2 * y;
    let num = qa - (k.g_dt_dx * hf) * (er - el);
    let den = R::ONE + k.g_dt * (nf * nf) * qmag * y7;
    let qn = num / den;
    if hf > k.thr { qn } else { R::ZERO }
}

/// New discharges on the interior face row between cell rows `a` (north) and `b`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn flux_y_row<R: Real, const THETA: bool, const Q2D: bool>(
    k: &FluxK<R>,
    za: &[R],
    zb: &[R],
    ha: &[R],
    hb: &[R],
    na: &[R],
    nb: &[R],
    qprev: &[R],
    q: &[R],
    qnext: &[R],
    qxa: &[R],
    qxb: &[R],
    out: &mut [R],
) {
    let nc = za.len();
    assert!(zb.len() == nc && ha.len() == nc && hb.len() == nc && na.len() == nc);
    assert!(nb.len() == nc && qprev.len() == nc && q.len() == nc && qnext.len() == nc);
    assert!(qxa.len() == nc + 1 && qxb.len() == nc + 1 && out.len() == nc);
    let (qxaw, qxae) = (&qxa[..nc], &qxa[1..]);
    let (qxbw, qxbe) = (&qxb[..nc], &qxb[1..]);
    for i in 0..nc {
        out[i] = face_q::<R, THETA, Q2D>(
            k,
            [za[i], zb[i]],
            [ha[i], hb[i]],
            [na[i], nb[i]],
            q[i],
            qprev[i] + qnext[i],
            (qxaw[i] + qxae[i]) + (qxbw[i] + qxbe[i]),
        );
    }
}

/// The flux pass over rows `r0 ..` of one chunk; returns the largest exponent field
/// seen in the new discharges (equal to `EXP_BITS` if any is not finite).
#[inline(always)]
fn flux_chunk<R: Real, const THETA: bool, const Q2D: bool>(
    d: Dims,
    k: &FluxK<R>,
    inp: &FluxIn<'_, R>,
    r0: usize,
    qxc: &mut [R],
    qyc: &mut [R],
) -> R::Bits {
    let nc = d.nc;
    let nx = nc + 1;
    let rows = qxc.len() / nx;
    let mut m = R::Bits::default();
    for j in 0..rows {
        let r = r0 + j;
        let cells = r * nc..(r + 1) * nc;
        let qx_out = &mut qxc[j * nx..(j + 1) * nx];
        flux_x_row::<R, THETA, Q2D>(
            k,
            &inp.z[cells.clone()],
            &inp.h[cells.clone()],
            &inp.n[cells.clone()],
            &inp.qx[r * nx..(r + 1) * nx],
            &inp.qy[r * nc..(r + 1) * nc],
            &inp.qy[(r + 1) * nc..(r + 2) * nc],
            qx_out,
        );
        let e = exp_max(qx_out);
        m = if e > m { e } else { m };
        let qy_out = &mut qyc[j * nc..(j + 1) * nc];
        if r == 0 {
            qy_out.fill(R::ZERO);
            continue;
        }
        let above = (r - 1) * nc..r * nc;
        flux_y_row::<R, THETA, Q2D>(
            k,
            &inp.z[above.clone()],
            &inp.z[cells.clone()],
            &inp.h[above.clone()],
            &inp.h[cells.clone()],
            &inp.n[above.clone()],
            &inp.n[cells.clone()],
            &inp.qy[(r - 1) * nc..r * nc],
            &inp.qy[r * nc..(r + 1) * nc],
            &inp.qy[(r + 1) * nc..(r + 2) * nc],
            &inp.qx[(r - 1) * nx..r * nx],
            &inp.qx[r * nx..(r + 1) * nx],
            qy_out,
        );
        let e = exp_max(qy_out);
        m = if e > m { e } else { m };
    }
    m
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn flux_chunk_avx2<R: Real, const THETA: bool, const Q2D: bool>(
    d: Dims,
    k: &FluxK<R>,
    inp: &FluxIn<'_, R>,
    r0: usize,
    qxc: &mut [R],
    qyc: &mut [R],
) -> R::Bits {
    flux_chunk::<R, THETA, Q2D>(d, k, inp, r0, qxc, qyc)
}

#[cfg(target_arch = "x86_64")]
fn have_avx2() -> bool {
    static HAVE: OnceLock<bool> = OnceLock::new();
    *HAVE.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    })
}

#[inline(always)]
fn flux_chunk_any<R: Real, const THETA: bool, const Q2D: bool>(
    wide: bool,
    d: Dims,
    k: &FluxK<R>,
    inp: &FluxIn<'_, R>,
    r0: usize,
    qxc: &mut [R],
    qyc: &mut [R],
) -> R::Bits {
    #[cfg(target_arch = "x86_64")]
    if wide && have_avx2() {
        // SAFETY: the CPU supports AVX2 and FMA (checked at run time just above).
        return unsafe { flux_chunk_avx2::<R, THETA, Q2D>(d, k, inp, r0, qxc, qyc) };
    }
    let _ = wide;
    flux_chunk::<R, THETA, Q2D>(d, k, inp, r0, qxc, qyc)
}

/// Run the flux pass: new discharges for every interior face into `qx_raw`/`qy_raw`
/// (edge faces set to 0; face row `nrows` of `qy_raw` is left alone). Returns false if
/// any new discharge is not finite.
pub(crate) fn flux_pass<R: Real>(
    d: Dims,
    p: &SurfaceParams,
    k: &FluxK<R>,
    inp: &FluxIn<'_, R>,
    qx_raw: &mut [R],
    qy_raw: &mut [R],
) -> bool {
    let (nr, nc) = (d.nr, d.nc);
    let wide = p.wide_simd;
    let theta = p.theta < 1.0;
    let q2d = p.friction_2d;
    let m = qx_raw[..nr * (nc + 1)]
        .par_chunks_mut(CHUNK_ROWS * (nc + 1))
        .zip(qy_raw[..nr * nc].par_chunks_mut(CHUNK_ROWS * nc))
        .enumerate()
        .map(|(ci, (qxc, qyc))| {
            let r0 = ci * CHUNK_ROWS;
            match (theta, q2d) {
                (false, true) => flux_chunk_any::<R, false, true>(wide, d, k, inp, r0, qxc, qyc),
                (false, false) => flux_chunk_any::<R, false, false>(wide, d, k, inp, r0, qxc, qyc),
                (true, true) => flux_chunk_any::<R, true, true>(wide, d, k, inp, r0, qxc, qyc),
                (true, false) => flux_chunk_any::<R, true, false>(wide, d, k, inp, r0, qxc, qyc),
            }
        })
        .reduce(R::Bits::default, |a, b| if a > b { a } else { b });
    m < R::EXP_BITS
}

/// Outflow-limiting factors of one row (`out` has `nc` entries).
#[inline(always)]
fn factor_row<R: Real>(k: &UpdK<R>, h: &[R], w: &[R], qx: &[R], qn: &[R], qs: &[R], out: &mut [R]) {
    let nc = h.len();
    let (qw, qe) = (&qx[..nc], &qx[1..nc + 1]);
    assert!(w.len() == nc && qw.len() == nc && qe.len() == nc);
    assert!(qn.len() == nc && qs.len() == nc && out.len() == nc);
    // Most rows need no limiting at all: find out without dividing, then divide only
    // in the rows that do.
    let mut limited = 0u32;
    for c in 0..nc {
        let avail = h[c] + k.rain_dt * w[c];
        let outq = (pos(qe[c]) + pos(-qw[c])) + (pos(qs[c]) + pos(-qn[c]));
        let outd = outq * k.dt_dx;
        limited += (outd > avail) as u32;
    }
    if limited == 0 {
        out.fill(R::ONE);
        return;
    }
    for c in 0..nc {
        let avail = h[c] + k.rain_dt * w[c];
        let outq = (pos(qe[c]) + pos(-qw[c])) + (pos(qs[c]) + pos(-qn[c]));
        let outd = outq * k.dt_dx;
        out[c] = if outd > avail { avail / outd } else { R::ONE };
    }
}

/// New depths of one row. `f_n`, `f_c`, `f_s`: factor rows north / this / south, padded
/// with a 1 at both ends (index `c + 1` is cell `c`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn update_row<R: Real>(
    k: &UpdK<R>,
    h: &[R],
    w: &[R],
    qx: &[R],
    qn: &[R],
    qs: &[R],
    f_n: &[R],
    f_c: &[R],
    f_s: &[R],
    out: &mut [R],
) -> UpdOut<R::Bits> {
    let nc = h.len();
    let (qw, qe) = (&qx[..nc], &qx[1..nc + 1]);
    let (fw, fc, fe) = (&f_c[..nc], &f_c[1..nc + 1], &f_c[2..nc + 2]);
    let (fnn, fss) = (&f_n[1..nc + 1], &f_s[1..nc + 1]);
    assert!(w.len() == nc && qw.len() == nc && qe.len() == nc && qn.len() == nc);
    assert!(qs.len() == nc && fw.len() == nc && fc.len() == nc && fe.len() == nc);
    assert!(fnn.len() == nc && fss.len() == nc && out.len() == nc);
    let mut hmax = R::Bits::default();
    let mut neg = 0u64;
    for c in 0..nc {
        let (a, b, n, s) = (qw[c], qe[c], qn[c], qs[c]);
        let ffw = if a > R::ZERO { fw[c] } else { fc[c] };
        let ffe = if b > R::ZERO { fc[c] } else { fe[c] };
        let ffn = if n > R::ZERO { fnn[c] } else { fc[c] };
        let ffs = if s > R::ZERO { fc[c] } else { fss[c] };
        let d = ((a * ffw - b * ffe) + (n * ffn - s * ffs)) * k.dt_dx;
        let hn = (h[c] + k.rain_dt * w[c]) + d;
        neg += (hn < k.neg_tol) as u64;
        let hv = if hn < R::ZERO { R::ZERO } else { hn };
        out[c] = hv;
        let bits = hv.bits();
        hmax = if bits > hmax { bits } else { hmax };
    }
    UpdOut {
        hmax_bits: hmax,
        negative: neg,
    }
}

/// The update pass over the rows of one chunk.
#[inline(always)]
fn update_chunk<R: Real>(
    d: Dims,
    k: &UpdK<R>,
    inp: &UpdIn<'_, R>,
    r0: usize,
    hn: &mut [R],
    fs: &mut [R],
) -> UpdOut<R::Bits> {
    let (nr, nc) = (d.nr, d.nc);
    let nx = nc + 1;
    let np = nc + 2;
    let rows = hn.len() / nc;
    for j in 0..rows + 2 {
        let frow = &mut fs[j * np..(j + 1) * np];
        let r = (r0 + j) as isize - 1;
        if r < 0 || r >= nr as isize {
            frow.fill(R::ONE);
            continue;
        }
        let r = r as usize;
        frow[0] = R::ONE;
        frow[nc + 1] = R::ONE;
        factor_row(
            k,
            &inp.h[r * nc..(r + 1) * nc],
            &inp.w[r * nc..(r + 1) * nc],
            &inp.qx[r * nx..(r + 1) * nx],
            &inp.qy[r * nc..(r + 1) * nc],
            &inp.qy[(r + 1) * nc..(r + 2) * nc],
            &mut frow[1..nc + 1],
        );
    }
    let mut acc = UpdOut::<R::Bits>::default();
    for j in 0..rows {
        let r = r0 + j;
        let o = update_row(
            k,
            &inp.h[r * nc..(r + 1) * nc],
            &inp.w[r * nc..(r + 1) * nc],
            &inp.qx[r * nx..(r + 1) * nx],
            &inp.qy[r * nc..(r + 1) * nc],
            &inp.qy[(r + 1) * nc..(r + 2) * nc],
            &fs[j * np..(j + 1) * np],
            &fs[(j + 1) * np..(j + 2) * np],
            &fs[(j + 2) * np..(j + 3) * np],
            &mut hn[j * nc..(j + 1) * nc],
        );
        acc.hmax_bits = acc.hmax_bits.max(o.hmax_bits);
        acc.negative += o.negative;
    }
    acc
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn update_chunk_avx2<R: Real>(
    d: Dims,
    k: &UpdK<R>,
    inp: &UpdIn<'_, R>,
    r0: usize,
    hn: &mut [R],
    fs: &mut [R],
) -> UpdOut<R::Bits> {
    update_chunk(d, k, inp, r0, hn, fs)
}

/// Scratch rows a chunk of the update pass needs: `(CHUNK_ROWS + 2) × (ncols + 2)`.
pub(crate) fn factor_scratch_len(nc: usize) -> usize {
    (CHUNK_ROWS + 2) * (nc + 2)
}

/// Run the update pass: new depths into `h_next`. `scratch` holds one
/// [`factor_scratch_len`] block per chunk.
pub(crate) fn update_pass<R: Real>(
    d: Dims,
    p: &SurfaceParams,
    k: &UpdK<R>,
    inp: &UpdIn<'_, R>,
    h_next: &mut [R],
    scratch: &mut [R],
) -> UpdOut<R::Bits> {
    let nc = d.nc;
    let wide = p.wide_simd;
    h_next
        .par_chunks_mut(CHUNK_ROWS * nc)
        .zip(scratch.par_chunks_mut(factor_scratch_len(nc)))
        .enumerate()
        .map(|(ci, (hn, fs))| {
            let r0 = ci * CHUNK_ROWS;
            #[cfg(target_arch = "x86_64")]
            if wide && have_avx2() {
                // SAFETY: AVX2 and FMA checked at run time just above.
                return unsafe { update_chunk_avx2(d, k, inp, r0, hn, fs) };
            }
            let _ = wide;
            update_chunk(d, k, inp, r0, hn, fs)
        })
        .reduce(UpdOut::default, |a, b| UpdOut {
            hmax_bits: a.hmax_bits.max(b.hmax_bits),
            negative: a.negative + b.negative,
        })
}

/// The outflow-limiting factor of one cell (sequential; used on the boundary faces so
/// that the accounting sees exactly the flux the update pass moved).
pub(crate) fn cell_factor<R: Real>(
    d: Dims,
    k: &UpdK<R>,
    inp: &UpdIn<'_, R>,
    r: usize,
    c: usize,
) -> R {
    let nc = d.nc;
    let nx = nc + 1;
    let i = r * nc + c;
    let avail = inp.h[i] + k.rain_dt * inp.w[i];
    let qw = inp.qx[r * nx + c];
    let qe = inp.qx[r * nx + c + 1];
    let qn = inp.qy[r * nc + c];
    let qs = inp.qy[(r + 1) * nc + c];
    let outq = (pos(qe) + pos(-qw)) + (pos(qs) + pos(-qn));
    let outd = outq * k.dt_dx;
    if outd > avail { avail / outd } else { R::ONE }
}

/// The local inertial update of one face against a given neighbouring water level (used
/// by stage boundaries): `eta_in`/`z_in` the domain cell, `eta_out` the level outside,
/// `sign` +1 if positive discharge flows out of the domain across this face.
#[allow(clippy::too_many_arguments)]
pub(crate) fn inertial_face(
    p: &SurfaceParams,
    dx: f64,
    dt: f64,
    q_old: f64,
    eta_in: f64,
    z_in: f64,
    eta_out: f64,
    n: f64,
    sign: f64,
) -> f64 {
    let hf = eta_in.max(eta_out) - z_in;
    if hf <= p.depth_threshold {
        return 0.0;
    }
    // Downhill from inside to outside means positive outward discharge.
    let slope_out = (eta_out - eta_in) / dx;
    let q_out_old = q_old * sign;
    let q = (q_out_old - p.g * hf * dt * slope_out)
        / (1.0 + p.g * dt * n * n * q_out_old.abs() / hf.powf(7.0 / 3.0));
    q * sign
}
