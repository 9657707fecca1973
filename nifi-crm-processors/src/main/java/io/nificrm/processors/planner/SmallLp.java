package io.nificrm.processors.planner;

/**
 * A dense simplex for the small linear programs of the planner: maximize {@code c·x} subject to {@code A x ≤ b},
 * {@code x ≥ 0}, with {@code b ≥ 0} (so the origin is feasible and no phase one is needed). Bland's rule prevents
 * cycling. Sizes are a few dozen rows and columns, so the dense tableau is the simplest correct choice.
 */
final class SmallLp {
    private static final double EPS = 1e-12;

    private SmallLp() {
    }

    /**
     * @return an optimal {@code x}
     * @throws IllegalArgumentException when some {@code b} is negative or the program is unbounded (a planner bug:
     *                                  every variable of the planner is boxed)
     */
    static double[] maximize(double[] c, double[][] a, double[] b) {
        int m = a.length;
        int n = c.length;
        int width = n + m + 1;
        double[][] t = new double[m + 1][width];
        int[] basis = new int[m];
        for (int i = 0; i < m; i++) {
            if (b[i] < 0) {
                throw new IllegalArgumentException("negative right-hand side " + b[i] + " in row " + i);
            }
            System.arraycopy(a[i], 0, t[i], 0, n);
            t[i][n + i] = 1;
            t[i][width - 1] = b[i];
            basis[i] = n + i;
        }
        for (int j = 0; j < n; j++) {
            t[m][j] = -c[j];
        }
        for (int iteration = 0; iteration < 50_000; iteration++) {
            int entering = -1;
            for (int j = 0; j < width - 1; j++) {
                if (t[m][j] < -EPS) {
                    entering = j;
                    break;
                }
            }
            if (entering < 0) {
                double[] x = new double[n];
                for (int i = 0; i < m; i++) {
                    if (basis[i] < n) {
                        x[basis[i]] = Math.max(0, t[i][width - 1]);
                    }
                }
                return x;
            }
            int leaving = -1;
            double best = Double.POSITIVE_INFINITY;
            for (int i = 0; i < m; i++) {
                if (t[i][entering] > EPS) {
                    double ratio = t[i][width - 1] / t[i][entering];
                    if (ratio < best - EPS || (Math.abs(ratio - best) <= EPS && leaving >= 0 && basis[i] < basis[leaving])) {
                        best = ratio;
                        leaving = i;
                    }
                }
            }
            if (leaving < 0) {
                throw new IllegalArgumentException("unbounded program (variable " + entering + ")");
            }
            pivot(t, leaving, entering);
            basis[leaving] = entering;
        }
        throw new IllegalStateException("simplex did not converge");
    }

    private static void pivot(double[][] t, int row, int column) {
        double p = t[row][column];
        double[] pivotRow = t[row];
        for (int j = 0; j < pivotRow.length; j++) {
            pivotRow[j] /= p;
        }
        for (int i = 0; i < t.length; i++) {
            if (i != row) {
                double f = t[i][column];
                if (f != 0) {
                    double[] r = t[i];
                    for (int j = 0; j < r.length; j++) {
                        r[j] -= f * pivotRow[j];
                    }
                }
            }
        }
    }
}
