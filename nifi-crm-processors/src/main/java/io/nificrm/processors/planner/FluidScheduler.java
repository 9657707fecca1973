package io.nificrm.processors.planner;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Simulates a plan as a fluid schedule and so estimates its duration.
 * <p>
 * Every stage (an object's load) has a fixed amount of work on each side: its read requests on the source and its
 * write requests on the target, done together (reads and writes of one object overlap), so a stage progresses at a
 * single rate φ (fraction of the stage per second) that costs φ·reads req/s on the source and φ·writes req/s on the
 * target. A stage is <em>ready</em> when every stage it depends on is done; it then waits out its start-up latency
 * (describe, partition bounds, first page), runs, and drains its last write.
 * <p>
 * At every event (a stage starts running or finishes, a burst or a daily quota runs out, a day begins) the running
 * stages share each side's budget by the solution of a small linear program:
 * <pre>
 *   maximize   Σ w_i · y_i                           (y_i = φ_i / φ̂_i: speed relative to running alone)
 *   subject to Σ y_i · φ̂_i · reads_i  ≤ capacity_source(t)
 *              Σ y_i · φ̂_i · writes_i ≤ capacity_target(t)
 *              0 ≤ y_i ≤ cap_i / φ̂_i               (a stage's own limit: its partitions read one page at a time)
 * </pre>
 * Positive weights make every optimum maximal (no stage can go faster without exceeding a budget), which is what
 * gives the schedule its bound against the lower bound (see docs/PLANNER.md).
 */
final class FluidScheduler {
    static final double DAY = 86_400;
    private static final double EPS = 1e-9;
    private static final int SOURCE = 0;
    private static final int TARGET = 1;

    /**
     * One side's budget over time.
     *
     * @param sustained   requests/s once the first window's burst is spent (min of rate and concurrency/latency)
     * @param burstRate   requests/s while the burst lasts (concurrency/latency)
     * @param burstCredit requests the first window admits at once
     * @param perDay      daily quota, or infinity
     * @param firstDay    calls left on the first day
     * @param latency     seconds per call
     */
    record Side(boolean modeled, double sustained, double burstRate, double burstCredit, double perDay, double firstDay, double latency) {
        boolean hasQuota() {
            return modeled && !Double.isInfinite(perDay);
        }
    }

    /** The scheduler's view of a stage. */
    record Stage(String label, long records, int[] parents, double reads, double writes, double cap, double alone,
                 double startDelay, double drain) {
    }

    /** Where the job stands when a daily quota runs out. */
    record Snapshot(int day, int side, double at, double[] done, int[] state) {
    }

    /** The schedule: per-stage times, quota stops, and which stages ran at the same time. */
    record Result(double makespan, double waiting, double[] start, double[] end, List<Snapshot> snapshots, int days,
                  List<Set<Integer>> sharedWith) {
    }

    static final int WAIT = 0;
    static final int STARTING = 1;
    static final int RUNNING = 2;
    static final int DRAINING = 3;
    static final int DONE = 4;

    private FluidScheduler() {
    }

    static Result run(List<Stage> stages, Side source, Side target, double[] weights) {
        int n = stages.size();
        Side[] sides = {source, target};
        int[] state = new int[n];
        double[] remaining = new double[n];
        double[] timer = new double[n];
        double[] start = new double[n];
        double[] end = new double[n];
        List<Set<Integer>> shared = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            remaining[i] = 1;
            shared.add(new LinkedHashSet<>());
        }
        double[] credit = {source.burstCredit(), target.burstCredit()};
        double[] left = {source.hasQuota() ? source.firstDay() : Double.POSITIVE_INFINITY,
                target.hasQuota() ? target.firstDay() : Double.POSITIVE_INFINITY};
        boolean anyQuota = source.hasQuota() || target.hasQuota();
        double t = 0;
        double waiting = 0;
        int day = 0;
        int done = 0;
        List<Snapshot> snapshots = new ArrayList<>();
        for (int iteration = 0; ; iteration++) {
            if (iteration > 5_000_000) {
                throw new IllegalStateException("the schedule does not converge");
            }
            boolean changed = true;
            while (changed) {
                changed = false;
                for (int i = 0; i < n; i++) {
                    Stage s = stages.get(i);
                    if (state[i] == WAIT && parentsDone(s, state)) {
                        state[i] = STARTING;
                        start[i] = -1;
                        timer[i] = t + s.startDelay();
                        changed = true;
                    }
                    if (state[i] == STARTING && timer[i] <= t + EPS) {
                        state[i] = RUNNING;
                        if (s.reads() <= 0 && s.writes() <= 0) {
                            remaining[i] = 0;
                            start[i] = t - s.startDelay();
                        }
                        changed = true;
                    }
                    if (state[i] == RUNNING && remaining[i] <= EPS) {
                        remaining[i] = 0;
                        state[i] = DRAINING;
                        timer[i] = t + s.drain();
                        changed = true;
                    }
                    if (state[i] == DRAINING && timer[i] <= t + EPS) {
                        state[i] = DONE;
                        end[i] = t;
                        if (start[i] < 0) {
                            start[i] = t;
                        }
                        done++;
                        changed = true;
                    }
                }
            }
            if (done == n) {
                break;
            }
            List<Integer> running = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (state[i] == RUNNING) {
                    running.add(i);
                }
            }
            double[] capacity = new double[2];
            for (int side = 0; side < 2; side++) {
                Side sd = sides[side];
                capacity[side] = !sd.modeled() ? Double.POSITIVE_INFINITY
                        : left[side] <= EPS ? 0 : credit[side] > EPS ? sd.burstRate() : sd.sustained();
            }
            double[] phi = allocate(stages, running, capacity, sides, weights);
            double[] usage = new double[2];
            for (int k = 0; k < running.size(); k++) {
                Stage s = stages.get(running.get(k));
                usage[SOURCE] += phi[k] * s.reads();
                usage[TARGET] += phi[k] * s.writes();
            }
            for (int k = 0; k < running.size(); k++) {
                int i = running.get(k);
                if (phi[k] > 0 && start[i] < 0) {
                    // A stage "starts" when it first transfers, counting its start-up just before.
                    start[i] = Math.max(0, t - stages.get(i).startDelay());
                }
            }
            for (int a = 0; a < running.size(); a++) {
                for (int b = 0; b < running.size(); b++) {
                    if (a != b && phi[a] > 0 && phi[b] > 0) {
                        shared.get(running.get(a)).add(running.get(b));
                    }
                }
            }
            double dt = Double.POSITIVE_INFINITY;
            for (int k = 0; k < running.size(); k++) {
                if (phi[k] > 0) {
                    dt = Math.min(dt, remaining[running.get(k)] / phi[k]);
                }
            }
            for (int i = 0; i < n; i++) {
                if (state[i] == STARTING || state[i] == DRAINING) {
                    dt = Math.min(dt, timer[i] - t);
                }
            }
            for (int side = 0; side < 2; side++) {
                if (usage[side] > 0) {
                    if (credit[side] > EPS) {
                        dt = Math.min(dt, credit[side] / usage[side]);
                    }
                    if (!Double.isInfinite(left[side])) {
                        dt = Math.min(dt, left[side] / usage[side]);
                    }
                }
            }
            if (anyQuota) {
                dt = Math.min(dt, (day + 1) * DAY - t);
            }
            if (Double.isInfinite(dt)) {
                throw new IllegalStateException("no stage can make progress at t=" + t);
            }
            dt = Math.max(dt, 0);
            boolean stalled = !running.isEmpty();
            for (int k = 0; k < running.size(); k++) {
                int i = running.get(k);
                remaining[i] = Math.max(0, remaining[i] - phi[k] * dt);
                if (remaining[i] < EPS) {
                    remaining[i] = 0;
                }
                stalled &= phi[k] == 0;
            }
            if (stalled) {
                waiting += dt;
            }
            t += dt;
            for (int side = 0; side < 2; side++) {
                credit[side] = Math.max(0, credit[side] - usage[side] * dt);
                if (credit[side] < EPS * Math.max(1, sides[side].burstCredit())) {
                    credit[side] = 0;
                }
                if (!Double.isInfinite(left[side])) {
                    boolean hadCalls = left[side] > EPS;
                    left[side] = Math.max(0, left[side] - usage[side] * dt);
                    if (left[side] < 1e-6) {
                        left[side] = 0;
                    }
                    if (hadCalls && left[side] == 0 && workLeft(state, remaining)) {
                        double[] fraction = new double[n];
                        for (int i = 0; i < n; i++) {
                            fraction[i] = 1 - remaining[i];
                        }
                        snapshots.add(new Snapshot(day + 1, side, t, fraction, state.clone()));
                    }
                }
            }
            if (anyQuota && t >= (day + 1) * DAY - 1e-6) {
                day++;
                for (int side = 0; side < 2; side++) {
                    if (sides[side].hasQuota()) {
                        left[side] = sides[side].perDay();
                        credit[side] = sides[side].burstCredit();
                    }
                }
            }
        }
        return new Result(t, waiting, start, end, snapshots, day + 1, shared);
    }

    private static boolean parentsDone(Stage stage, int[] state) {
        for (int p : stage.parents()) {
            if (state[p] != DONE) {
                return false;
            }
        }
        return true;
    }

    private static boolean workLeft(int[] state, double[] remaining) {
        for (int i = 0; i < state.length; i++) {
            if (state[i] < RUNNING || (state[i] == RUNNING && remaining[i] > 0)) {
                return true;
            }
        }
        return false;
    }

    /** The LP of the class comment; returns φ per running stage. */
    static double[] allocate(List<Stage> stages, List<Integer> running, double[] capacity, Side[] sides, double[] weights) {
        int m = running.size();
        if (m == 0) {
            return new double[0];
        }
        List<double[]> rows = new ArrayList<>();
        List<Double> bounds = new ArrayList<>();
        for (int side = 0; side < 2; side++) {
            if (Double.isInfinite(capacity[side])) {
                continue;
            }
            double norm = sides[side].sustained();
            double[] row = new double[m];
            boolean used = false;
            for (int k = 0; k < m; k++) {
                Stage s = stages.get(running.get(k));
                double work = side == SOURCE ? s.reads() : s.writes();
                row[k] = s.alone() * work / norm;
                used |= row[k] > 0;
            }
            if (used) {
                rows.add(row);
                bounds.add(capacity[side] / norm);
            }
        }
        for (int k = 0; k < m; k++) {
            Stage s = stages.get(running.get(k));
            double limit = s.cap() / s.alone();
            if (!Double.isInfinite(limit)) {
                double[] row = new double[m];
                row[k] = 1;
                rows.add(row);
                bounds.add(limit);
            }
        }
        double[] c = new double[m];
        for (int k = 0; k < m; k++) {
            c[k] = weights[running.get(k)];
        }
        double[] b = new double[bounds.size()];
        for (int r = 0; r < b.length; r++) {
            b[r] = bounds.get(r);
        }
        double[] y = SmallLp.maximize(c, rows.toArray(new double[0][]), b);
        double[] phi = new double[m];
        for (int k = 0; k < m; k++) {
            phi[k] = y[k] * stages.get(running.get(k)).alone();
        }
        return phi;
    }
}
