package dev.spinup.controlplane.engine;

import dev.spinup.controlplane.core.Lifecycle;
import dev.spinup.controlplane.core.OperationVerb;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The verbs' plans as one Markdown table (verb, step, its undo, what a failure of it does): the
 * README shows exactly this, and a test keeps the two equal.
 */
public final class PlanTable {
    private PlanTable() {}

    public static String markdown(List<OperationJob> jobs) {
        StringBuilder out = new StringBuilder("""
                | verb | step | undo (run in reverse when the operation rolls back) | if the step fails |
                |---|---|---|---|
                """);
        for (OperationJob job : jobs) {
            for (Map.Entry<String, Plan> variant : new TreeMap<>(job.plans()).entrySet()) {
                Plan plan = variant.getValue();
                String verb = job.verb().name() + (variant.getKey().isEmpty() ? "" : " (" + variant.getKey() + ")");
                boolean anyUndo = plan.stages().stream().anyMatch(s -> !s.undo().isEmpty());
                List<String> begun = new java.util.ArrayList<>();
                for (Plan.Stage stage : plan.stages()) {
                    String step = stage.step().name();
                    begun.add(step);
                    boolean rollsBack = !plan.undoFor(begun).isEmpty();
                    String name = step.equals(plan.pointOfNoReturn()) ? "**" + step + "** (point of no return)" : step;
                    String undo = stage.undo().isEmpty()
                            ? stage.why()
                            : String.join(
                                    " → ", stage.undo().stream().map(Step::name).toList());
                    String onFailure = plan.forwardOnly(step)
                            ? "retried until its deadline, then FAILED with the workspace " + target(job.verb())
                            : rollsBack
                                    ? "rolled back (ROLLED_BACK)"
                                    : anyUndo
                                            ? "FAILED, nothing to undo (the workspace as a rollback leaves it)"
                                            : "FAILED, the workspace as it was";
                    out.append("| ")
                            .append(verb)
                            .append(" | ")
                            .append(name)
                            .append(" | ")
                            .append(undo)
                            .append(" | ")
                            .append(onFailure)
                            .append(" |\n");
                    verb = "";
                }
            }
        }
        return out.toString();
    }

    private static String target(OperationVerb verb) {
        var to = Lifecycle.transition(verb).to();
        return to == null ? "as it was" : to.wire();
    }
}
