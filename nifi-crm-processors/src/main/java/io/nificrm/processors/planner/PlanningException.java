package io.nificrm.processors.planner;

import java.util.List;

/**
 * The inputs cannot be planned: cyclic references, missing counts, zero limits, contradictory settings. The message
 * lists every problem found, each in plain words with what to change; it is meant to be shown as is (no stack trace).
 */
public final class PlanningException extends RuntimeException {
    private final List<String> problems;

    public PlanningException(List<String> problems) {
        super(message(problems), null, false, false);
        this.problems = List.copyOf(problems);
    }

    public PlanningException(String problem) {
        this(List.of(problem));
    }

    /** Each problem, one sentence or two. */
    public List<String> problems() {
        return problems;
    }

    private static String message(List<String> problems) {
        if (problems.size() == 1) {
            return "Cannot plan the migration: " + problems.get(0);
        }
        StringBuilder sb = new StringBuilder("Cannot plan the migration (" + problems.size() + " problems):");
        problems.forEach(p -> sb.append("\n  - ").append(p));
        return sb.toString();
    }
}
