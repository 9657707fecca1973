package io.nificrm.processors.planner;

import java.time.Duration;
import java.util.Locale;

/** Human-readable numbers and durations for plans and messages. */
public final class PlanFormat {
    private PlanFormat() {
    }

    /** 1,234,567 */
    public static String count(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }

    public static String duration(Duration duration) {
        return duration == null ? "-" : seconds(duration.toNanos() / 1e9);
    }

    /** "850 ms", "12.4 s", "3 min 20 s", "2 h 05 min", "3 d 4 h". */
    public static String seconds(double seconds) {
        if (Double.isInfinite(seconds) || Double.isNaN(seconds)) {
            return "∞";
        }
        if (seconds < 1) {
            return String.format(Locale.ROOT, "%.0f ms", seconds * 1000);
        }
        if (seconds < 60) {
            return String.format(Locale.ROOT, seconds < 10 ? "%.2f s" : "%.1f s", seconds);
        }
        long s = Math.round(seconds);
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
        }
        return String.format(Locale.ROOT, "%d d %d h %02d min", s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    }

    /** "1,234.5" with one decimal (rates). */
    public static String rate(double value) {
        return String.format(Locale.ROOT, value >= 100 ? "%,.0f" : "%,.1f", value);
    }
}
