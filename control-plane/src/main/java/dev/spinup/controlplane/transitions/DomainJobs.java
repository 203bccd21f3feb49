package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.engine.OperationJob;
import dev.spinup.controlplane.engine.Plan;
import dev.spinup.controlplane.steps.AgentSteps;
import dev.spinup.controlplane.store.Tx;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The verbs that change only how a workspace is routed. ADD_DOMAIN and REMOVE_DOMAIN: the row in
 * workspace_domains changes when the call is accepted (in the same transaction as the
 * operation), then the host's edge gets its new table (and the home host too, when the workspace
 * lives elsewhere). A new custom domain starts with cert_state pending; the host's agent reports
 * issued / failed / expired as it sees them. SET_SHARING: the app's names (or a preview port's) become public or private
 * the same way.
 */
public final class DomainJobs {
    private DomainJobs() {}

    public static OperationJob add(AgentSteps agent, Clock clock) {
        return new Job(OperationVerb.ADD_DOMAIN, agent) {
            @Override
            public Map<String, String> accept(Tx tx, Workspace workspace, Map<String, String> requested, Instant now) {
                String domain = requested.get("domain");
                Optional<UUID> owner = tx.domains().owner(domain);
                if (owner.isPresent() && !owner.get().equals(workspace.id())) {
                    throw new SpinUpException(
                            SpinUpException.Kind.ALREADY_EXISTS,
                            ErrorReason.DOMAIN_TAKEN,
                            "domain " + domain + " is already routed to another workspace",
                            Map.of("domain", domain));
                }
                if (owner.isEmpty()) {
                    tx.domains().insert(Ids.newId(clock), workspace.id(), domain, "custom", now);
                }
                // Already this workspace's (e.g. an earlier AddDomain failed to reach the edge):
                // the routes are simply applied again.
                return requested;
            }
        };
    }

    public static OperationJob remove(AgentSteps agent) {
        return new Job(OperationVerb.REMOVE_DOMAIN, agent) {
            @Override
            public Map<String, String> accept(Tx tx, Workspace workspace, Map<String, String> requested, Instant now) {
                String domain = requested.get("domain");
                if (!tx.domains().removeCustom(workspace.id(), domain)) {
                    throw new SpinUpException(
                            SpinUpException.Kind.NOT_FOUND,
                            ErrorReason.DOMAIN_NOT_FOUND,
                            "workspace " + workspace.id() + " has no custom domain " + domain,
                            Map.of("workspaceId", workspace.id().toString(), "domain", domain));
                }
                return requested;
            }
        };
    }

    /** Params: {@code public} is "true" or "false"; {@code port}, if given, is the preview port shared (else the app). */
    public static OperationJob sharing(AgentSteps agent) {
        return new Job(OperationVerb.SET_SHARING, agent) {
            @Override
            public Map<String, String> accept(Tx tx, Workspace workspace, Map<String, String> requested, Instant now) {
                boolean published = Boolean.parseBoolean(requested.get("public"));
                if (requested.containsKey("port")) {
                    tx.workspaces()
                            .setPortPublic(workspace.id(), Integer.parseInt(requested.get("port")), published, now);
                } else {
                    tx.workspaces().setAppPublic(workspace.id(), published, now);
                }
                return requested;
            }
        };
    }

    private abstract static class Job implements OperationJob {
        private final OperationVerb verb;
        private final Plan plan;

        Job(OperationVerb verb, AgentSteps agent) {
            this.verb = verb;
            String why = "none: convergent (calling again applies it again)";
            this.plan = Plan.builder()
                    .step(agent.routesAsIs("routes"), why)
                    .step(agent.routesAtHome("home_routes"), why)
                    .build();
        }

        @Override
        public OperationVerb verb() {
            return verb;
        }

        @Override
        public Plan plan(Map<String, String> params) {
            return plan;
        }
    }
}
