package dev.spinup.controlplane.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A verb, top to bottom: its steps in order, each with how it is undone (or why it needs no undo),
 * and its point of no return.
 *
 * <ul>
 * <li>A step that fails <em>before</em> the point of no return rolls the operation back: the undos
 *     of every step that began (the failed one too: it may have half happened) run in reverse.
 *     Undos must be safe when the step did nothing.
 * <li>From the point of no return on, the verb only goes forward: a failed step is tried again,
 *     with backoff, until its deadline. Past it the operation ends FAILED and the workspace takes
 *     the verb's target state (the verb is committed), the reason on the operation.
 * </ul>
 */
public record Plan(List<Stage> stages, String pointOfNoReturn) {
    /**
     * One step and its undo: {@code undo} (run in this order when the operation rolls back past
     * this step), or none, with {@code why}.
     */
    public record Stage(Step step, List<Step> undo, String why) {
        public Stage {
            Objects.requireNonNull(step, "step");
            undo = List.copyOf(undo);
            if (undo.isEmpty() == (why == null)) {
                throw new IllegalArgumentException(step.name() + ": either an undo or why it needs none");
            }
        }
    }

    public Plan {
        stages = List.copyOf(stages);
        Set<String> names = new java.util.HashSet<>();
        for (Stage s : stages) {
            if (!names.add(s.step().name())) {
                throw new IllegalArgumentException("two steps named " + s.step().name());
            }
        }
        for (Stage s : stages) {
            for (Step u : s.undo()) {
                if (!names.add(u.name())) {
                    throw new IllegalArgumentException("undo step " + u.name() + " is named like another step");
                }
            }
        }
        if (pointOfNoReturn != null
                && stages.stream().noneMatch(s -> s.step().name().equals(pointOfNoReturn))) {
            throw new IllegalArgumentException("no step " + pointOfNoReturn);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public List<Step> steps() {
        return stages.stream().map(Stage::step).toList();
    }

    /** Every undo step of the plan (what a rollback phase may run). */
    public List<Step> undoSteps() {
        return stages.stream().flatMap(s -> s.undo().stream()).toList();
    }

    /** Whether a failure of {@code step} is retried forward rather than rolled back. */
    public boolean forwardOnly(String step) {
        if (pointOfNoReturn == null) {
            return false;
        }
        boolean past = false;
        for (Stage s : stages) {
            past |= s.step().name().equals(pointOfNoReturn);
            if (s.step().name().equals(step)) {
                return past;
            }
        }
        return false;
    }

    /** The undo steps to run, in order, after a failure when {@code begun} (in forward order) had begun. */
    public List<Step> undoFor(List<String> begun) {
        List<Step> undo = new ArrayList<>();
        for (Stage s : stages.reversed()) {
            if (begun.contains(s.step().name())) {
                undo.addAll(s.undo());
            }
        }
        return undo;
    }

    /** Steps in order; {@link #pointOfNoReturn()} marks the step added next. */
    public static final class Builder {
        private final List<Stage> stages = new ArrayList<>();
        private boolean nextIsPointOfNoReturn;
        private String pointOfNoReturn;

        /** A step undone by {@code undo}, run in the order given. */
        public Builder step(Step step, Step... undo) {
            return add(new Stage(step, List.of(undo), null));
        }

        /** A step that needs no undo, and why (e.g. "none: read-only", "none: convergent"). */
        public Builder step(Step step, String why) {
            return add(new Stage(step, List.of(), why));
        }

        /** The step added next is the point of no return: from it on, the verb only goes forward. */
        public Builder pointOfNoReturn() {
            nextIsPointOfNoReturn = true;
            return this;
        }

        private Builder add(Stage stage) {
            if (nextIsPointOfNoReturn) {
                pointOfNoReturn = stage.step().name();
                nextIsPointOfNoReturn = false;
            }
            stages.add(stage);
            return this;
        }

        public Plan build() {
            if (nextIsPointOfNoReturn) {
                throw new IllegalStateException("pointOfNoReturn() must be followed by a step");
            }
            return new Plan(stages, pointOfNoReturn);
        }
    }
}
