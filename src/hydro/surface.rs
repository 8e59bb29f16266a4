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
//! Without advection (the default) the three steps run as one **fused pass**
//! ([`fused_pass`]): each task sweeps a band of [`FUSED_ROWS`] rows, computing a row of
//! discharges, its boundary values and then the depths of the row above it while those
//! discharges are still in cache (the rows just outside the band are computed again by
//! the band). The values are the three steps' bit for bit (unit test); it saves the
//! second read of the discharges and depths from memory: on `bench surface` 1024², 2
//! threads, 152–163 → 164–173 M cell-updates/s (6 alternating runs each), and on the
//! levee-breach demo drill the two kernels' time 87.0 → 81.7 s (on 512², whose arrays
//! mostly stay in cache, the rainstorm demo is unchanged: 59.1 → 59.9 s).
//!
//! The new depth goes to a second buffer and the new discharges stay in scratch until
//! the step passes its health checks, so a failed step is rolled back by not swapping.
//! The momentum state keeps the unlimited discharges (as LISFLOOD-FP does); the limiter
//! only acts on the volume moved in cells that would otherwise run dry in that step.
//!
//! # Advection (`SurfaceParams::advection`, off by default)
//! The local inertial scheme drops the convective acceleration `∂(q²/h)/∂x +
//! ∂(q_x q_y/h)/∂y`. For a front moving at constant velocity u the dropped term is
//! `u²·∂h/∂x`, so the scheme's equilibrium surface slope is too steep by `1/(1 − Fr²)`
//! and the front lags: on the plane-wave test (Fr² ≈ 0.15) that is a +2 cm depth bias
//! over the first kilometre and a front ~100 m behind. With the option on, the face
//! update becomes
//! `q ← [q' − g·h_f·Δt·∂η/∂x + Δt/Δx·M_in] / [1 + friction + Δt/Δx·D_out]`:
//! - **along** the face direction, conservative donor-cell: the momentum flux at a cell
//!   centre is `(q_w⁺)²/h + (q_e⁻)²/h` (each face's momentum enters the cell it flows
//!   into; `h` the cell depth). The part leaving through the face's own control volume,
//!   `|q|/h_downstream · q`, is taken **semi-implicitly** (like the friction: with the
//!   new q, its coefficient in the denominator); the part carried in from the
//!   neighbouring faces, explicitly;
//! - **across**, the advective form `q_y·∂u/∂y` (for an x-face), upwind by the sign of
//!   the mean cross discharge at each corner, split the same way (the face's own
//!   velocity, q times the mean inverse depth of its two cells, implicitly; the
//!   upstream face's velocity explicitly);
//! - a **speed-scaled θ**: the θ weighting above with `θ − κ·|u|·Δt/Δx` (κ =
//!   `advection_damping`, |u| the 2D speed at the face). This is upwind-type numerical
//!   viscosity `κ·|u|·Δx/2` on the discharge: zero in still water (the lake at rest and
//!   the plain scheme's θ = 1 behaviour there are kept), growing with the flow.
//!
//! Why this form (von Neumann analysis of the linearised 2D scheme, uniform flow, no
//! friction, Δt = 0.7·Δx/(|u| + √(g·h))): the forward–backward local inertial step is
//! neutrally stable, and an explicit advection term of either form (conservative or
//! advective, centred or upwind) makes it grow — the first version (explicit,
//! conservative, `q̄·u_upwind` fluxes) by 6–30 % per step for Fr 0.2–0.6, in modes at
//! the Nyquist wavenumber across the flow (the momentum is transported upwind while
//! the depth, moved by the discharge, is not). It showed as a ±0.5 m checkerboard in
//! the demo district's river. Semi-implicit outflow and the advective cross form
//! bring the growth down to ≤ 1.5 %/step; the speed-scaled θ with κ = 0.5 removes it
//! for all flow directions and Froude numbers up to 0.7 tested (κ = 0.25 still leaves
//! 0.3 %). In the demo river (2 m deep, 1–2 m/s) the grid-scale roughness of the
//! surface is then the plain scheme's (~2 mm RMS of the discrete Laplacian).
//!
//! Guards at wet/dry fronts and in thin films: cells at or below `advection_depth`
//! (default 1 cm) have inverse depth 0 (they neither carry nor receive momentum by
//! advection), and faces at or below it get none of the terms (plain local inertial
//! there); every advected velocity is capped at `advection_froude_max·√(g·h)` of its
//! cell (the shallower one for a face), so a thin film with a large stored discharge
//! cannot inject momentum. The terms vanish when q = 0, so still water stays still.
//! They change momentum only: mass conservation and the depth limiter are untouched.
//! The CFL step uses `|u| + √(g·h)` with advection (see [`crate::hydro::Model`]).
//! Stage boundaries keep the plain inertial face update.
//!
//! Cost: a pre-pass per chunk computes the inverse depths, velocity caps and face
//! velocities of its rows (plus one halo row each side), and the terms add about 40
//! operations per face: the flux and update kernels together take ~1.7× as long per
//! sub-step, and the sub-steps are ~15 % shorter (the CFL speed). That is why it is
//! off by default.
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
//! the round-off balance and replay-friendly exactness win: f64 is the default, and a
//! scenario may choose f32 (`hydro.precision`, see docs/scenario.md for what it changes
//! on the demo drill). The friction factor
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
    /// Include the convective acceleration `∂(q_x²/h)/∂x + ∂(q_x q_y/h)/∂y` (and its y
    /// counterpart) in the momentum update; see the module docs, "Advection". Default
    /// false (the plain local inertial scheme).
    pub advection: bool,
    /// Cells at or below this depth carry no momentum by advection, and faces at or
    /// below it get no advection terms, m. Default 0.01.
    pub advection_depth: f64,
    /// Largest Froude number `|u|/√(g·h)` of an advected velocity; faster ones are
    /// clamped to it. Default 1.
    pub advection_froude_max: f64,
    /// κ of the speed-scaled θ weighting used with advection, `θ − κ·|u|·Δt/Δx`
    /// (module docs, "Advection"). Default 0.5; 0 ≤ κ ≤ 1.
    pub advection_damping: f64,
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
            advection: false,
            advection_depth: 0.01,
            advection_froude_max: 1.0,
            advection_damping: 0.5,
        }
    }
}

/// A surface parameter out of its range: which one, its value, and what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("surface.{field} = {value}: {expected}")]
pub struct SurfaceError {
    /// The parameter's name in `[surface]`.
    pub field: &'static str,
    /// The value given.
    pub value: f64,
    /// The accepted range.
    pub expected: &'static str,
}

impl SurfaceParams {
    /// Check the parameters, naming the first bad one.
    pub fn validate(&self) -> Result<(), SurfaceError> {
        let bad = |field: &'static str, value: f64, expected: &'static str| {
            Err(SurfaceError {
                field,
                value,
                expected,
            })
        };
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
        if !(self.advection_depth > 0.0 && self.advection_depth < 1.0) {
            return bad(
                "advection_depth",
                self.advection_depth,
                "expected 0 < depth < 1 m",
            );
        }
        if !(self.advection_froude_max > 0.0 && self.advection_froude_max.is_finite()) {
            return bad(
                "advection_froude_max",
                self.advection_froude_max,
                "expected a positive number",
            );
        }
        if !(self.advection_damping >= 0.0 && self.advection_damping <= 1.0) {
            return bad(
                "advection_damping",
                self.advection_damping,
                "expected 0 ≤ damping ≤ 1",
            );
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
    g: R,
    g_dt: R,
    g_dt_dx: R,
    dt_dx: R,
    thr: R,
    adv_thr: R,
    fr_max: R,
    kappa: R,
    theta: R,
    half_1m_theta: R,
    half: R,
    quarter: R,
}

impl<R: Real> FluxK<R> {
    pub(crate) fn new(p: &SurfaceParams, dx: f64, dt: f64) -> Self {
        Self {
            g: R::from_f64(p.g),
            g_dt: R::from_f64(p.g * dt),
            g_dt_dx: R::from_f64(p.g * dt / dx),
            dt_dx: R::from_f64(dt / dx),
            thr: R::from_f64(p.depth_threshold),
            adv_thr: R::from_f64(p.advection_depth),
            fr_max: R::from_f64(p.advection_froude_max),
            kappa: R::from_f64(p.advection_damping),
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

/// Advection inputs of one row of cells (empty slices without advection): inverse
/// depth (0 at or below the advection depth) and Froude velocity cap
/// `Fr_max·√(g·h)` of each cell, and the velocities of the row's x-faces.
#[derive(Clone, Copy)]
struct CellRow<'a, R> {
    ih: &'a [R],
    cap: &'a [R],
    ux: &'a [R],
}

/// New discharges on the x-faces of one row (faces 1..nc; the edge faces get 0).
/// With `ADV`: `cells` the cell rows north / this / south (at the grid edges the row
/// beyond repeats this one).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn flux_x_row<R: Real, const THETA: bool, const Q2D: bool, const ADV: bool>(
    k: &FluxK<R>,
    z: &[R],
    h: &[R],
    n: &[R],
    q: &[R],
    qyn: &[R],
    qys: &[R],
    cells: [CellRow<'_, R>; 3],
    abuf: &mut [R],
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
    // Advection operands, each `m` long (empty without advection): the [west, east]
    // cell of each face, and the velocities of the faces north and south of it.
    let none: &[R] = &[];
    let [n_, c_, s_] = cells;
    let (ih, cap, un, us) = if ADV {
        (
            [&c_.ih[..m], &c_.ih[1..nc]],
            [&c_.cap[..m], &c_.cap[1..nc]],
            &n_.ux[1..nc],
            &s_.ux[1..nc],
        )
    } else {
        ([none; 2], [none; 2], none, none)
    };
    // With advection the terms go through a row buffer first: two lighter loops
    // vectorise better than one with every operand live.
    let (a_in, a_out, a_ih) = adv_bufs::<R, ADV>(abuf, m);
    if ADV {
        assert!(ih[0].len() == m && ih[1].len() == m && cap[0].len() == m);
        assert!(cap[1].len() == m && un.len() == m && us.len() == m);
        for i in 0..m {
            (a_in[i], a_out[i], a_ih[i]) = adv_terms(
                k,
                [qm[i], qc[i], qp[i]],
                [ih[0][i], ih[1][i]],
                [cap[0][i], cap[1][i]],
                [an[i], bn[i]],
                [as_[i], bs[i]],
                [un[i], us[i]],
            );
        }
    }
    let (a_in, a_out, a_ih): (&[R], &[R], &[R]) = (a_in, a_out, a_ih);
    for i in 0..m {
        let adv = if ADV {
            (a_in[i], a_out[i], a_ih[i])
        } else {
            (R::ZERO, R::ZERO, R::ZERO)
        };
        o[i] = face_q::<R, THETA, Q2D, ADV>(
            k,
            [zl[i], zr[i]],
            [hl[i], hr[i]],
            [nl[i], nr[i]],
            qc[i],
            qm[i] + qp[i],
            (an[i] + bn[i]) + (as_[i] + bs[i]),
            adv,
        );
    }
}

/// The new discharge on one face between cells `a` and `b` (bed `z`, depth `h`,
/// Manning `n` of each), from its discharge `q0`, the sum of its two same-direction
/// neighbours (θ weighting), the sum of the four cross-direction faces around it
/// (2D friction magnitude) and, with `ADV`, the advection terms `(inflow, outflow
/// coefficient, inverse face depth)` of [`adv_terms`]. Shared by the x and y passes
/// so both use one formula.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn face_q<R: Real, const THETA: bool, const Q2D: bool, const ADV: bool>(
    k: &FluxK<R>,
    z: [R; 2],
    h: [R; 2],
    n: [R; 2],
    q0: R,
    q_neighbours: R,
    q_cross: R,
    adv: (R, R, R),
) -> R {
    let el = z[0] + h[0];
    let er = z[1] + h[1];
    let hf = el.vmax(er) - z[0].vmax(z[1]);
    let q2 = {
        let c = k.quarter * q_cross;
        (q0 * q0 + c * c).sqrt()
    };
    let qmag = if Q2D { q2 } else { q0.vabs() };
    // Only faces deeper than the advection depth get the advection terms.
    let wet = ADV && hf > k.adv_thr;
    let qa = if ADV {
        // Speed-scaled θ (module docs, "Advection"): θ − κ·|u|·Δt/Δx, with the face
        // Courant number capped at 1.
        let courant = (q2 * adv.2 * k.dt_dx).vmin(R::ONE);
        let courant = if wet { courant } else { R::ZERO };
        let th = k.theta - k.kappa * courant;
        th * q0 + (k.half - k.half * th) * q_neighbours
    } else if THETA {
        k.theta * q0 + k.half_1m_theta * q_neighbours
    } else {
        q0
    };
    let nf = k.half * (n[0] + n[1]);
    let y = hf.vmax(k.thr).inv_cbrt();
    let y2 = y * y;
    let y7 = y2 * y2 * y2 * y;
    let num = qa - (k.g_dt_dx * hf) * (er - el);
    let den = R::ONE + k.g_dt * (nf * nf) * qmag * y7;
    let (num, den) = if ADV {
        // The momentum carried in enters explicitly, the momentum carried out
        // semi-implicitly (like the friction).
        let inflow = if wet { adv.0 } else { R::ZERO };
        let outflow = if wet { adv.1 } else { R::ZERO };
        (num + k.dt_dx * inflow, den + k.dt_dx * outflow)
    } else {
        (num, den)
    };
    let qn = num / den;
    if hf > k.thr { qn } else { R::ZERO }
}

/// The three advection row buffers (`m` long; empty without advection) in a chunk's
/// scratch row block `abuf`.
#[inline(always)]
fn adv_bufs<R: Real, const ADV: bool>(abuf: &mut [R], m: usize) -> (&mut [R], &mut [R], &mut [R]) {
    if ADV {
        let (a, rest) = abuf.split_at_mut(m);
        let (b, rest) = rest.split_at_mut(m);
        (a, b, &mut rest[..m])
    } else {
        (&mut [], &mut [], &mut [])
    }
}

#[inline(always)]
fn neg<R: Real>(v: R) -> R {
    if v < R::ZERO { v } else { R::ZERO }
}

/// The velocity of a face with discharge `q` between two cells of inverse depth `ih`
/// and velocity cap `cap`: `q` times the mean inverse depth, clamped to the cap of the
/// shallower cell.
#[inline(always)]
fn face_vel<R: Real>(k: &FluxK<R>, q: R, ih: [R; 2], cap: [R; 2]) -> R {
    let cap = cap[0].vmin(cap[1]);
    (q * (k.half * (ih[0] + ih[1]))).vmax(-cap).vmin(cap)
}

/// Advection at one face as `(inflow, outflow coefficient, inverse face depth)` (module
/// docs, "Advection"): the net momentum flux out of the face's control volume is
/// `outflow·q_face − inflow` (m³/s², per Δx).
///
/// `q`: the discharges of the face (`q[1]`) and of its two same-direction neighbours;
/// `ih`/`cap`: inverse depth and velocity cap of the cells before / after the face;
/// `cross_before`/`cross_after`: the two cross-direction discharges at the corner
/// before / after the face (north / south for an x-face, west / east for a y-face);
/// `u_cross`: the velocities of the parallel faces beyond those corners.
#[inline(always)]
fn adv_terms<R: Real>(
    k: &FluxK<R>,
    q: [R; 3],
    ih: [R; 2],
    cap: [R; 2],
    cross_before: [R; 2],
    cross_after: [R; 2],
    u_cross: [R; 2],
) -> (R, R, R) {
    let (qm, qc, qp) = (q[0], q[1], q[2]);
    // Along: donor cell, flux split per face; the momentum flux at a cell centre is
    // (q_w⁺)²/h + (q_e⁻)²/h.
    let out_along = pos(qc) * ih[1] + pos(-qc) * ih[0];
    let um = (pos(qm) * ih[0]).vmin(cap[0]);
    let up = (neg(qp) * ih[1]).vmax(-cap[1]);
    let in_along = pos(qm) * um - neg(qp) * up;
    // Across: advective form q_cross·∂u/∂(cross), upwind by the sign of the mean cross
    // discharge at each corner.
    let vb = k.half * (cross_before[0] + cross_before[1]);
    let va = k.half * (cross_after[0] + cross_after[1]);
    let ihf = k.half * (ih[0] + ih[1]);
    let out_cross = (pos(vb) + pos(-va)) * ihf;
    let in_cross = pos(vb) * u_cross[0] - neg(va) * u_cross[1];
    (in_along + in_cross, out_along + out_cross, ihf)
}

/// Inverse depths, velocity caps and x-face velocities (interior faces; the edge
/// faces get 0, never read) of one row of cells (advection); returns the bit pattern of
/// the row's largest `|u| + √(g·h)`, `|u|` the largest discharge through the cell's four
/// faces over its depth, capped like the advected velocities.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn cell_row<R: Real>(
    k: &FluxK<R>,
    h: &[R],
    qx: &[R],
    qyn: &[R],
    qys: &[R],
    ih: &mut [R],
    cap: &mut [R],
    ux: &mut [R],
) -> R::Bits {
    let nc = h.len();
    let (qw, qe) = (&qx[..nc], &qx[1..nc + 1]);
    assert!(qw.len() == nc && qe.len() == nc && qyn.len() == nc && qys.len() == nc);
    assert!(ih.len() == nc && cap.len() == nc && ux.len() == nc + 1);
    let mut m = R::Bits::default();
    for i in 0..nc {
        let wet = h[i] > k.adv_thr;
        let hs = h[i].vmax(k.adv_thr);
        let inv = if wet { R::ONE / hs } else { R::ZERO };
        let c = (k.g * hs).sqrt();
        let cp = k.fr_max * c;
        ih[i] = inv;
        cap[i] = cp;
        let qmax = (qw[i].vabs().vmax(qe[i].vabs())).vmax(qyn[i].vabs().vmax(qys[i].vabs()));
        let s = (qmax * inv).vmin(cp) + c;
        let s = if wet { s } else { R::ZERO };
        let b = s.bits();
        m = if b > m { b } else { m };
    }
    ux[0] = R::ZERO;
    ux[nc] = R::ZERO;
    let n = nc - 1;
    let (ihl, ihr, cl, cr) = (&ih[..n], &ih[1..nc], &cap[..n], &cap[1..nc]);
    let (q, u) = (&qx[1..nc], &mut ux[1..nc]);
    assert!(ihl.len() == n && ihr.len() == n && cl.len() == n && cr.len() == n);
    assert!(q.len() == n && u.len() == n);
    for i in 0..n {
        u[i] = face_vel(k, q[i], [ihl[i], ihr[i]], [cl[i], cr[i]]);
    }
    m
}

/// Rows of the cell blocks of a chunk's advection scratch.
const VROWS: usize = CHUNK_ROWS + 2;

/// Scratch a chunk of the flux pass needs with advection: the inverse depths, the
/// velocity caps (`VROWS` rows of `ncols` each) and the x-face velocities (`VROWS` rows
/// of `ncols + 1`) of cell rows `r0 − 1 ..= r0 + rows` (rows beyond the grid repeat the
/// edge row), then one padded row (`ncols + 2`) of y-face velocities and three rows
/// (`ncols`) for the advection terms of one face row.
pub(crate) fn velocity_scratch_len(nc: usize) -> usize {
    VROWS * (2 * nc + (nc + 1)) + (nc + 2) + 3 * nc
}

/// Fill the cell blocks of a chunk's advection scratch from the old state; returns the
/// bit pattern of the largest wave speed seen.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn cell_chunk<R: Real>(
    d: Dims,
    k: &FluxK<R>,
    inp: &FluxIn<'_, R>,
    r0: usize,
    rows: usize,
    ihs: &mut [R],
    caps: &mut [R],
    uxs: &mut [R],
) -> R::Bits {
    let (nr, nc) = (d.nr, d.nc);
    let nx = nc + 1;
    let mut m = R::Bits::default();
    for j in 0..rows + 2 {
        let r = (r0 + j).saturating_sub(1).min(nr - 1);
        let b = cell_row(
            k,
            &inp.h[r * nc..(r + 1) * nc],
            &inp.qx[r * nx..(r + 1) * nx],
            &inp.qy[r * nc..(r + 1) * nc],
            &inp.qy[(r + 1) * nc..(r + 2) * nc],
            &mut ihs[j * nc..(j + 1) * nc],
            &mut caps[j * nc..(j + 1) * nc],
            &mut uxs[j * nx..(j + 1) * nx],
        );
        m = m.max(b);
    }
    m
}

/// New discharges on the interior face row between cell rows `a` (north) and `b`.
/// With `ADV`: `cells` the cell rows `a` and `b`, `ubuf` scratch for this face row's
/// velocities (`nc + 2`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn flux_y_row<R: Real, const THETA: bool, const Q2D: bool, const ADV: bool>(
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
    cells: [CellRow<'_, R>; 2],
    ubuf: &mut [R],
    abuf: &mut [R],
    out: &mut [R],
) {
    let nc = za.len();
    assert!(zb.len() == nc && ha.len() == nc && hb.len() == nc && na.len() == nc);
    assert!(nb.len() == nc && qprev.len() == nc && q.len() == nc && qnext.len() == nc);
    assert!(qxa.len() == nc + 1 && qxb.len() == nc + 1 && out.len() == nc);
    let (qxaw, qxae) = (&qxa[..nc], &qxa[1..]);
    let (qxbw, qxbe) = (&qxb[..nc], &qxb[1..]);
    let none: &[R] = &[];
    let [a, b] = cells;
    if ADV {
        // This face row's velocities, padded by repeating the end values (the cross
        // term at an edge column sees its own face beyond the corner).
        let u = &mut ubuf[1..nc + 1];
        assert!(a.ih.len() == nc && b.ih.len() == nc);
        assert!(a.cap.len() == nc && b.cap.len() == nc && u.len() == nc);
        for i in 0..nc {
            u[i] = face_vel(k, q[i], [a.ih[i], b.ih[i]], [a.cap[i], b.cap[i]]);
        }
        ubuf[0] = ubuf[1];
        ubuf[nc + 1] = ubuf[nc];
    }
    let ubuf: &[R] = ubuf;
    let (uw, ue) = if ADV {
        (&ubuf[..nc], &ubuf[2..nc + 2])
    } else {
        (none, none)
    };
    let (a_in, a_out, a_ih) = adv_bufs::<R, ADV>(abuf, nc);
    if ADV {
        assert!(uw.len() == nc && ue.len() == nc);
        for i in 0..nc {
            (a_in[i], a_out[i], a_ih[i]) = adv_terms(
                k,
                [qprev[i], q[i], qnext[i]],
                [a.ih[i], b.ih[i]],
                [a.cap[i], b.cap[i]],
                [qxaw[i], qxbw[i]],
                [qxae[i], qxbe[i]],
                [uw[i], ue[i]],
            );
        }
    }
    let (a_in, a_out, a_ih): (&[R], &[R], &[R]) = (a_in, a_out, a_ih);
    for i in 0..nc {
        let adv = if ADV {
            (a_in[i], a_out[i], a_ih[i])
        } else {
            (R::ZERO, R::ZERO, R::ZERO)
        };
        out[i] = face_q::<R, THETA, Q2D, ADV>(
            k,
            [za[i], zb[i]],
            [ha[i], hb[i]],
            [na[i], nb[i]],
            q[i],
            qprev[i] + qnext[i],
            (qxaw[i] + qxae[i]) + (qxbw[i] + qxbe[i]),
            adv,
        );
    }
}

/// The flux pass over rows `r0 ..` of one chunk; returns the largest exponent field
/// seen in the new discharges (equal to `EXP_BITS` if any is not finite) and, with
/// `ADV`, the bit pattern of the largest cell wave speed of the old state (else 0).
/// `vs`: the chunk's advection scratch (empty without `ADV`).
#[inline(always)]
fn flux_chunk<R: Real, const THETA: bool, const Q2D: bool, const ADV: bool>(
    d: Dims,
    k: &FluxK<R>,
    inp: &FluxIn<'_, R>,
    r0: usize,
    qxc: &mut [R],
    qyc: &mut [R],
    vs: &mut [R],
) -> (R::Bits, R::Bits) {
    let nc = d.nc;
    let nx = nc + 1;
    let rows = qxc.len() / nx;
    let v = if ADV { VROWS } else { 0 };
    let (ihs, rest) = vs.split_at_mut(v * nc);
    let (caps, rest) = rest.split_at_mut(v * nc);
    let (uxs, rest) = rest.split_at_mut(v * nx);
    let (ubuf, abuf) = rest.split_at_mut(if ADV { nc + 2 } else { 0 });
    let smax = if ADV {
        cell_chunk(d, k, inp, r0, rows, ihs, caps, uxs)
    } else {
        R::Bits::default()
    };
    let (ihs, caps, uxs): (&[R], &[R], &[R]) = (ihs, caps, uxs);
    let none: &[R] = &[];
    let cell = |j: usize| -> CellRow<'_, R> {
        if ADV {
            CellRow {
                ih: &ihs[j * nc..(j + 1) * nc],
                cap: &caps[j * nc..(j + 1) * nc],
                ux: &uxs[j * nx..(j + 1) * nx],
            }
        } else {
            CellRow {
                ih: none,
                cap: none,
                ux: none,
            }
        }
    };
    let mut m = R::Bits::default();
    for j in 0..rows {
        let r = r0 + j;
        let cells = r * nc..(r + 1) * nc;
        let qx_out = &mut qxc[j * nx..(j + 1) * nx];
        // Scratch row j + 1 is grid row r (row j the one above, j + 2 below).
        flux_x_row::<R, THETA, Q2D, ADV>(
            k,
            &inp.z[cells.clone()],
            &inp.h[cells.clone()],
            &inp.n[cells.clone()],
            &inp.qx[r * nx..(r + 1) * nx],
            &inp.qy[r * nc..(r + 1) * nc],
            &inp.qy[(r + 1) * nc..(r + 2) * nc],
            [cell(j), cell(j + 1), cell(j + 2)],
            abuf,
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
        flux_y_row::<R, THETA, Q2D, ADV>(
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
            [cell(j), cell(j + 1)],
            ubuf,
            abuf,
            qy_out,
        );
        let e = exp_max(qy_out);
        m = if e > m { e } else { m };
    }
    (m, smax)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
fn flux_chunk_avx2<R: Real, const THETA: bool, const Q2D: bool, const ADV: bool>(
    d: Dims,
    k: &FluxK<R>,
    inp: &FluxIn<'_, R>,
    r0: usize,
    qxc: &mut [R],
    qyc: &mut [R],
    vs: &mut [R],
) -> (R::Bits, R::Bits) {
    flux_chunk::<R, THETA, Q2D, ADV>(d, k, inp, r0, qxc, qyc, vs)
}

#[cfg(target_arch = "x86_64")]
fn have_avx2() -> bool {
    static HAVE: OnceLock<bool> = OnceLock::new();
    *HAVE.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    })
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn flux_chunk_any<R: Real, const THETA: bool, const Q2D: bool, const ADV: bool>(
    wide: bool,
    d: Dims,
    k: &FluxK<R>,
    inp: &FluxIn<'_, R>,
    r0: usize,
    qxc: &mut [R],
    qyc: &mut [R],
    vs: &mut [R],
) -> (R::Bits, R::Bits) {
    #[cfg(target_arch = "x86_64")]
    if wide && have_avx2() {
        // SAFETY: the CPU supports AVX2 and FMA (checked at run time just above).
        return unsafe { flux_chunk_avx2::<R, THETA, Q2D, ADV>(d, k, inp, r0, qxc, qyc, vs) };
    }
    let _ = wide;
    flux_chunk::<R, THETA, Q2D, ADV>(d, k, inp, r0, qxc, qyc, vs)
}

/// What the flux pass found.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FluxOut {
    /// Every new discharge is finite.
    pub finite: bool,
    /// With advection: the largest `|u| + √(g·h)` over the cells of the old state
    /// (m/s); 0 without.
    pub wave_speed: f64,
}

/// Run the flux pass: new discharges for every interior face into `qx_raw`/`qy_raw`
/// (edge faces set to 0; face row `nrows` of `qy_raw` is left alone). `vel_scratch`:
/// one [`velocity_scratch_len`] block per chunk with advection (unused without).
#[allow(clippy::too_many_arguments)]
pub(crate) fn flux_pass<R: Real>(
    d: Dims,
    p: &SurfaceParams,
    k: &FluxK<R>,
    inp: &FluxIn<'_, R>,
    qx_raw: &mut [R],
    qy_raw: &mut [R],
    vel_scratch: &mut [R],
) -> FluxOut {
    let (nr, nc) = (d.nr, d.nc);
    let wide = p.wide_simd;
    let theta = p.theta < 1.0;
    let q2d = p.friction_2d;
    let max2 = |a: (R::Bits, R::Bits), b: (R::Bits, R::Bits)| (a.0.max(b.0), a.1.max(b.1));
    let (m, s) = if p.advection {
        assert!(vel_scratch.len() >= nr.div_ceil(CHUNK_ROWS) * velocity_scratch_len(nc));
        qx_raw[..nr * (nc + 1)]
            .par_chunks_mut(CHUNK_ROWS * (nc + 1))
            .zip(qy_raw[..nr * nc].par_chunks_mut(CHUNK_ROWS * nc))
            .zip(vel_scratch.par_chunks_mut(velocity_scratch_len(nc)))
            .enumerate()
            .map(|(ci, ((qxc, qyc), vs))| {
                let r0 = ci * CHUNK_ROWS;
                // The advection path always applies its own (speed-scaled) θ.
                if q2d {
                    flux_chunk_any::<R, true, true, true>(wide, d, k, inp, r0, qxc, qyc, vs)
                } else {
                    flux_chunk_any::<R, true, false, true>(wide, d, k, inp, r0, qxc, qyc, vs)
                }
            })
            .reduce(<(R::Bits, R::Bits)>::default, max2)
    } else {
        qx_raw[..nr * (nc + 1)]
            .par_chunks_mut(CHUNK_ROWS * (nc + 1))
            .zip(qy_raw[..nr * nc].par_chunks_mut(CHUNK_ROWS * nc))
            .enumerate()
            .map(|(ci, (qxc, qyc))| {
                let r0 = ci * CHUNK_ROWS;
                let vs: &mut [R] = &mut [];
                match (theta, q2d) {
                    (false, true) => {
                        flux_chunk_any::<R, false, true, false>(wide, d, k, inp, r0, qxc, qyc, vs)
                    }
                    (false, false) => {
                        flux_chunk_any::<R, false, false, false>(wide, d, k, inp, r0, qxc, qyc, vs)
                    }
                    (true, true) => {
                        flux_chunk_any::<R, true, true, false>(wide, d, k, inp, r0, qxc, qyc, vs)
                    }
                    (true, false) => {
                        flux_chunk_any::<R, true, false, false>(wide, d, k, inp, r0, qxc, qyc, vs)
                    }
                }
            })
            .reduce(<(R::Bits, R::Bits)>::default, max2)
    };
    FluxOut {
        finite: m < R::EXP_BITS,
        wave_speed: if p.advection {
            R::from_bits(s).to_f64()
        } else {
            0.0
        },
    }
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

/// Cell rows per task of the fused pass. Fixed, although the results would not depend
/// on it: every value is a pure function of the old state.
pub const FUSED_ROWS: usize = 64;

/// Discharges that boundaries put on edge faces for one sub-step: `(face, q)` into
/// `qx` and into `qy`, each sorted by face (stably: of two on one face the later
/// boundary wins, as when they are written in order).
#[derive(Debug, Clone, Default)]
pub(crate) struct EdgeQ<R> {
    pub x: Vec<(usize, R)>,
    pub y: Vec<(usize, R)>,
}

impl<R: Real> EdgeQ<R> {
    /// Sort both lists by face, keeping the order of equal faces.
    pub(crate) fn sort(&mut self) {
        self.x.sort_by_key(|e| e.0);
        self.y.sort_by_key(|e| e.0);
    }

    /// Write every edge discharge into the face arrays.
    pub(crate) fn write(&self, qx: &mut [R], qy: &mut [R]) {
        for &(f, q) in &self.x {
            qx[f] = q;
        }
        for &(f, q) in &self.y {
            qy[f] = q;
        }
    }
}

/// Put the edge discharges of faces `first..first + row.len()` onto `row`.
#[inline]
fn patch<R: Real>(list: &[(usize, R)], first: usize, row: &mut [R]) {
    let a = list.partition_point(|e| e.0 < first);
    for &(f, q) in &list[a..] {
        if f >= first + row.len() {
            break;
        }
        row[f - first] = q;
    }
}

/// Scratch a task of the fused pass needs: the halo face rows it computes for itself
/// (the x-faces of the cell rows just above and below it, the face rows above and the
/// two below it) and three padded rows of limiting factors.
pub(crate) fn fused_scratch_len(nc: usize) -> usize {
    2 * (nc + 1) + 3 * nc + 3 * (nc + 2)
}

/// New discharges on the x-faces of cell row `r` (no advection).
#[inline(always)]
fn band_qx_row<R: Real, const THETA: bool, const Q2D: bool>(
    d: Dims,
    fk: &FluxK<R>,
    inp: &FluxIn<'_, R>,
    r: usize,
    out: &mut [R],
) {
    let nc = d.nc;
    let nx = nc + 1;
    let none: &[R] = &[];
    let cr = CellRow {
        ih: none,
        cap: none,
        ux: none,
    };
    let cells = r * nc..(r + 1) * nc;
    flux_x_row::<R, THETA, Q2D, false>(
        fk,
        &inp.z[cells.clone()],
        &inp.h[cells.clone()],
        &inp.n[cells],
        &inp.qx[r * nx..(r + 1) * nx],
        &inp.qy[r * nc..(r + 1) * nc],
        &inp.qy[(r + 1) * nc..(r + 2) * nc],
        [cr; 3],
        &mut [],
        out,
    );
}

/// New discharges on face row `r` (0 < r < nr: between cell rows r − 1 and r; row 0,
/// the north edge, carries no flow) without advection.
#[inline(always)]
fn band_qy_row<R: Real, const THETA: bool, const Q2D: bool>(
    d: Dims,
    fk: &FluxK<R>,
    inp: &FluxIn<'_, R>,
    r: usize,
    out: &mut [R],
) {
    let nc = d.nc;
    let nx = nc + 1;
    if r == 0 {
        out.fill(R::ZERO);
        return;
    }
    let none: &[R] = &[];
    let cr = CellRow {
        ih: none,
        cap: none,
        ux: none,
    };
    let (above, cells) = ((r - 1) * nc..r * nc, r * nc..(r + 1) * nc);
    flux_y_row::<R, THETA, Q2D, false>(
        fk,
        &inp.z[above.clone()],
        &inp.z[cells.clone()],
        &inp.h[above.clone()],
        &inp.h[cells.clone()],
        &inp.n[above],
        &inp.n[cells],
        &inp.qy[(r - 1) * nc..r * nc],
        &inp.qy[r * nc..(r + 1) * nc],
        &inp.qy[(r + 1) * nc..(r + 2) * nc],
        &inp.qx[(r - 1) * nx..r * nx],
        &inp.qx[r * nx..(r + 1) * nx],
        [cr; 2],
        &mut [],
        &mut [],
        out,
    );
}

/// What every band of the fused pass reads: the old state, both passes' constants, the
/// rain weights, the edge discharges and the south edge face row (boundaries only).
#[derive(Clone, Copy)]
struct BandIn<'a, R> {
    d: Dims,
    fk: &'a FluxK<R>,
    uk: &'a UpdK<R>,
    inp: &'a FluxIn<'a, R>,
    w: &'a [R],
    edge: &'a EdgeQ<R>,
    qy_tail: &'a [R],
}

/// The fused pass over cell rows `b0..b0 + rows` (`hn.len() / nc` rows): the new
/// discharges of its x-face rows and of its face rows `b0..` (into `qxb`, `qyb`), the
/// boundary discharges on its edge faces, and its new depths — each row of fluxes is
/// read back by the depth update while it is still in cache. The rows just outside are
/// computed again here into `fs` (the neighbouring task owns them). The values are those
/// of [`flux_pass`], boundaries and [`update_pass`] in turn, bit for bit.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn fused_band<R: Real, const THETA: bool, const Q2D: bool>(
    a: &BandIn<'_, R>,
    b0: usize,
    qxb: &mut [R],
    qyb: &mut [R],
    hn: &mut [R],
    fs: &mut [R],
) -> (R::Bits, UpdOut<R::Bits>) {
    let BandIn {
        d,
        fk,
        uk,
        inp,
        w,
        edge,
        qy_tail,
    } = *a;
    let (nr, nc) = (d.nr, d.nc);
    let nx = nc + 1;
    let np = nc + 2;
    let rows = hn.len() / nc;
    let b1 = b0 + rows;
    let (hx_top, rest) = fs.split_at_mut(nx);
    let (hx_bot, rest) = rest.split_at_mut(nx);
    let (hy_top, rest) = rest.split_at_mut(nc);
    let (hy_b1, rest) = rest.split_at_mut(nc);
    let (hy_b2, ring) = rest.split_at_mut(nc);
    let qx_row = |r: usize, out: &mut [R]| band_qx_row::<R, THETA, Q2D>(d, fk, inp, r, out);
    let qy_row = |r: usize, out: &mut [R]| band_qy_row::<R, THETA, Q2D>(d, fk, inp, r, out);
    let mut m = R::Bits::default();
    if b0 >= 1 {
        qy_row(b0 - 1, hy_top);
        patch(&edge.y, (b0 - 1) * nc, hy_top);
    }
    let mut acc = UpdOut::<R::Bits>::default();
    // Factor row j goes to ring slot (j + 1) % 3; the update of row j − 1 follows it.
    for jj in b0..=b1 + 1 {
        // jj = j + 1, so that j = b0 − 1 needs no signed arithmetic.
        let slot = jj % 3;
        if jj == 0 || jj > nr {
            // Cell row j is outside the grid: no fluxes (face row 0 is made below).
            ring[slot * np..(slot + 1) * np].fill(R::ONE);
            if jj == 0 {
                qy_row(0, &mut qyb[..nc]);
                patch(&edge.y, 0, &mut qyb[..nc]);
            }
        } else {
            let j = jj - 1;
            // The x-faces of row j and face row j + 1, where they belong.
            if j >= b0 && j < b1 {
                let o = &mut qxb[(j - b0) * nx..(j - b0 + 1) * nx];
                qx_row(j, o);
                m = m.max(exp_max(o));
                patch(&edge.x, j * nx, o);
            } else if j + 1 == b0 {
                qx_row(j, hx_top);
                patch(&edge.x, j * nx, hx_top);
            } else {
                qx_row(j, hx_bot);
                patch(&edge.x, j * nx, hx_bot);
            }
            let f = j + 1;
            if f == nr {
                // The south edge face row: boundaries only (already written).
            } else if f < b1 {
                let o = &mut qyb[(f - b0) * nc..(f - b0 + 1) * nc];
                qy_row(f, o);
                m = m.max(exp_max(o));
                patch(&edge.y, f * nc, o);
            } else if f == b1 {
                qy_row(f, hy_b1);
                patch(&edge.y, f * nc, hy_b1);
            } else {
                qy_row(f, hy_b2);
                patch(&edge.y, f * nc, hy_b2);
            }
            let (qxb, qyb): (&[R], &[R]) = (qxb, qyb);
            let (hx_top, hx_bot): (&[R], &[R]) = (hx_top, hx_bot);
            let (hy_top, hy_b1, hy_b2): (&[R], &[R], &[R]) = (hy_top, hy_b1, hy_b2);
            let qxr = |r: usize| -> &[R] {
                if r >= b0 && r < b1 {
                    &qxb[(r - b0) * nx..(r - b0 + 1) * nx]
                } else if r + 1 == b0 {
                    hx_top
                } else {
                    hx_bot
                }
            };
            let qyr = |f: usize| -> &[R] {
                if f == nr {
                    qy_tail
                } else if f >= b0 && f < b1 {
                    &qyb[(f - b0) * nc..(f - b0 + 1) * nc]
                } else if f + 1 == b0 {
                    hy_top
                } else if f == b1 {
                    hy_b1
                } else {
                    hy_b2
                }
            };
            let frow = &mut ring[slot * np..(slot + 1) * np];
            frow[0] = R::ONE;
            frow[nc + 1] = R::ONE;
            factor_row(
                uk,
                &inp.h[j * nc..(j + 1) * nc],
                &w[j * nc..(j + 1) * nc],
                qxr(j),
                qyr(j),
                qyr(j + 1),
                &mut frow[1..nc + 1],
            );
            // The new depths of row j − 1, now that the factors around it are known.
            if j > b0 {
                let r = j - 1;
                let (sn, sc, ss) = ((jj + 1) % 3, (jj + 2) % 3, slot);
                let o = update_row(
                    uk,
                    &inp.h[r * nc..(r + 1) * nc],
                    &w[r * nc..(r + 1) * nc],
                    qxr(r),
                    qyr(r),
                    qyr(r + 1),
                    &ring[sn * np..(sn + 1) * np],
                    &ring[sc * np..(sc + 1) * np],
                    &ring[ss * np..(ss + 1) * np],
                    &mut hn[(r - b0) * nc..(r - b0 + 1) * nc],
                );
                acc.hmax_bits = acc.hmax_bits.max(o.hmax_bits);
                acc.negative += o.negative;
            }
            continue;
        }
        // Row j = nr (past the south edge): its factors are 1; update the last row.
        let j = jj as isize - 1;
        if j > b0 as isize && jj > nr {
            let r = jj - 2;
            let qxr = &qxb[(r - b0) * nx..(r - b0 + 1) * nx];
            let qn = &qyb[(r - b0) * nc..(r - b0 + 1) * nc];
            let (sn, sc, ss) = ((jj + 1) % 3, (jj + 2) % 3, slot);
            let o = update_row(
                uk,
                &inp.h[r * nc..(r + 1) * nc],
                &w[r * nc..(r + 1) * nc],
                qxr,
                qn,
                qy_tail,
                &ring[sn * np..(sn + 1) * np],
                &ring[sc * np..(sc + 1) * np],
                &ring[ss * np..(ss + 1) * np],
                &mut hn[(r - b0) * nc..(r - b0 + 1) * nc],
            );
            acc.hmax_bits = acc.hmax_bits.max(o.hmax_bits);
            acc.negative += o.negative;
        }
    }
    (m, acc)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
fn fused_band_avx2<R: Real, const THETA: bool, const Q2D: bool>(
    a: &BandIn<'_, R>,
    b0: usize,
    qxb: &mut [R],
    qyb: &mut [R],
    hn: &mut [R],
    fs: &mut [R],
) -> (R::Bits, UpdOut<R::Bits>) {
    fused_band::<R, THETA, Q2D>(a, b0, qxb, qyb, hn, fs)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn fused_band_any<R: Real, const THETA: bool, const Q2D: bool>(
    wide: bool,
    a: &BandIn<'_, R>,
    b0: usize,
    qxb: &mut [R],
    qyb: &mut [R],
    hn: &mut [R],
    fs: &mut [R],
) -> (R::Bits, UpdOut<R::Bits>) {
    #[cfg(target_arch = "x86_64")]
    if wide && have_avx2() {
        // SAFETY: the CPU supports AVX2 and FMA (checked at run time just above).
        return unsafe { fused_band_avx2::<R, THETA, Q2D>(a, b0, qxb, qyb, hn, fs) };
    }
    let _ = wide;
    fused_band::<R, THETA, Q2D>(a, b0, qxb, qyb, hn, fs)
}

/// One sub-step's fluxes, boundary discharges and new depths in one pass over the grid
/// (the scheme without advection): what [`flux_pass`], the boundaries' edge discharges
/// and [`update_pass`] give in turn, bit for bit, with each row of discharges read back
/// by the depth update while it is still in cache instead of from memory. `scratch`
/// holds one [`fused_scratch_len`] block per [`FUSED_ROWS`] rows.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fused_pass<R: Real>(
    d: Dims,
    p: &SurfaceParams,
    fk: &FluxK<R>,
    uk: &UpdK<R>,
    inp: &FluxIn<'_, R>,
    w: &[R],
    edge: &EdgeQ<R>,
    qx_raw: &mut [R],
    qy_raw: &mut [R],
    h_next: &mut [R],
    scratch: &mut [R],
) -> (FluxOut, UpdOut<R::Bits>) {
    assert!(
        !p.advection,
        "the fused pass is the scheme without advection"
    );
    let (nr, nc) = (d.nr, d.nc);
    let nx = nc + 1;
    let sl = fused_scratch_len(nc);
    assert!(scratch.len() >= nr.div_ceil(FUSED_ROWS) * sl);
    let wide = p.wide_simd;
    let (theta, q2d) = (p.theta < 1.0, p.friction_2d);
    let (qy_main, qy_tail) = qy_raw.split_at_mut(nr * nc);
    // The south edge face row is never computed: boundaries only.
    patch(&edge.y, nr * nc, &mut qy_tail[..nc]);
    let band = BandIn {
        d,
        fk,
        uk,
        inp,
        w,
        edge,
        qy_tail: &qy_tail[..nc],
    };
    let (m, u) = qx_raw[..nr * nx]
        .par_chunks_mut(FUSED_ROWS * nx)
        .zip(qy_main.par_chunks_mut(FUSED_ROWS * nc))
        .zip(h_next[..nr * nc].par_chunks_mut(FUSED_ROWS * nc))
        .zip(scratch.par_chunks_mut(sl))
        .enumerate()
        .map(|(bi, (((qxb, qyb), hn), fs))| {
            let b0 = bi * FUSED_ROWS;
            let a = &band;
            match (theta, q2d) {
                (false, true) => fused_band_any::<R, false, true>(wide, a, b0, qxb, qyb, hn, fs),
                (false, false) => fused_band_any::<R, false, false>(wide, a, b0, qxb, qyb, hn, fs),
                (true, true) => fused_band_any::<R, true, true>(wide, a, b0, qxb, qyb, hn, fs),
                (true, false) => fused_band_any::<R, true, false>(wide, a, b0, qxb, qyb, hn, fs),
            }
        })
        .reduce(
            || (R::Bits::default(), UpdOut::default()),
            |a, b| {
                (
                    a.0.max(b.0),
                    UpdOut {
                        hmax_bits: a.1.hmax_bits.max(b.1.hmax_bits),
                        negative: a.1.negative + b.1.negative,
                    },
                )
            },
        );
    (
        FluxOut {
            finite: m < R::EXP_BITS,
            wave_speed: 0.0,
        },
        u,
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A reproducible pseudo-random number in [0, 1).
    fn next(s: &mut u64) -> f64 {
        *s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*s >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The fused pass gives the flux pass, edge discharges and update pass bit for bit:
    /// on grids whose row count is below, at and between multiples of the band height,
    /// with wet and dry cells, cells that empty in the step, edge discharges on all four
    /// sides (two on one face) and every θ / friction variant.
    #[test]
    fn fused_pass_equals_the_three_passes() {
        let mut seed = 7u64;
        let (mut emptied, mut limited) = (0, 0);
        for &(nr, nc) in &[
            (1, 5),
            (3, 1),
            (17, 9),
            (64, 12),
            (65, 7),
            (130, 33),
            (200, 3),
        ] {
            for &(theta, q2d) in &[(1.0, true), (1.0, false), (0.8, true), (0.8, false)] {
                let p = SurfaceParams {
                    theta,
                    friction_2d: q2d,
                    ..SurfaceParams::default()
                };
                let n_cells = nr * nc;
                let mut v = |scale: f64, dry: f64| -> Vec<f64> {
                    (0..n_cells)
                        .map(|_| {
                            let x = next(&mut seed);
                            if x < dry {
                                0.0
                            } else {
                                scale * next(&mut seed)
                            }
                        })
                        .collect()
                };
                let z = v(2.0, 0.0);
                let h = v(0.5, 0.3);
                let n: Vec<f64> = v(0.04, 0.0).iter().map(|x| 0.01 + x).collect();
                let w = v(1.0, 0.5);
                let mut f = |len: usize| -> Vec<f64> {
                    (0..len).map(|_| 2.0 * next(&mut seed) - 1.0).collect()
                };
                let qx = f(nr * (nc + 1));
                let qy = f((nr + 1) * nc);
                let mut edge = EdgeQ::<f64>::default();
                for r in 0..nr {
                    edge.x.push((r * (nc + 1), 0.3));
                    edge.x.push((r * (nc + 1) + nc, -0.2 * r as f64));
                }
                for c in 0..nc {
                    edge.y.push((c, 0.1));
                    edge.y.push((nr * nc + c, -0.4));
                }
                edge.y.push((0, 0.7));
                edge.sort();
                let d = Dims { nr, nc };
                let dt = 0.9;
                let fk = FluxK::<f64>::new(&p, 5.0, dt);
                let uk = UpdK::<f64> {
                    rain_dt: 0.002,
                    dt_dx: dt / 5.0,
                    neg_tol: -1e-12,
                };
                let inp = FluxIn {
                    z: &z,
                    h: &h,
                    n: &n,
                    qx: &qx,
                    qy: &qy,
                };
                let nchunks = nr.div_ceil(CHUNK_ROWS);
                // The three passes.
                let (mut qx3, mut qy3) = (vec![9.0; qx.len()], vec![9.0; qy.len()]);
                let mut h3 = vec![0.0; n_cells];
                let mut s3 = vec![0.0; nchunks * factor_scratch_len(nc)];
                let f3 = flux_pass(d, &p, &fk, &inp, &mut qx3, &mut qy3, &mut []);
                edge.write(&mut qx3, &mut qy3);
                let u3 = {
                    let ui = UpdIn {
                        h: &h,
                        w: &w,
                        qx: &qx3,
                        qy: &qy3,
                    };
                    update_pass(d, &p, &uk, &ui, &mut h3, &mut s3)
                };
                // The fused pass.
                let (mut qx1, mut qy1) = (vec![9.0; qx.len()], vec![9.0; qy.len()]);
                let mut h1 = vec![0.0; n_cells];
                let mut s1 = vec![0.0; nr.div_ceil(FUSED_ROWS) * fused_scratch_len(nc)];
                let (f1, u1) = fused_pass(
                    d, &p, &fk, &uk, &inp, &w, &edge, &mut qx1, &mut qy1, &mut h1, &mut s1,
                );
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                let case = format!("{nr}×{nc}, θ {theta}, 2D friction {q2d}");
                assert_eq!(bits(&qx1), bits(&qx3), "qx, {case}");
                assert_eq!(bits(&qy1), bits(&qy3), "qy, {case}");
                assert_eq!(bits(&h1), bits(&h3), "h, {case}");
                assert_eq!(f1.finite, f3.finite, "{case}");
                assert_eq!(u1.hmax_bits, u3.hmax_bits, "{case}");
                assert_eq!(u1.negative, u3.negative, "{case}");
                emptied += h3.iter().filter(|&&x| x == 0.0).count();
                limited += s3.iter().filter(|&&x| x > 0.0 && x < 1.0).count();
            }
        }
        // The cases exercised the limiter and cells that run dry.
        assert!(emptied > 100 && limited > 100, "{emptied} {limited}");
    }
}
