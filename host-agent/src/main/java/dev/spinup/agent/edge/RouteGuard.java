package dev.spinup.agent.edge;

import dev.spinup.edge.EdgeRoute;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Defence in depth under the control plane's routing table: this host's edge proxies a name only
 * to the address its own registry gives that very workspace, running here now. A route that says
 * otherwise (a stale table, a workspace stopped or destroyed since, an app port now given to
 * another workspace) gets the "not running right now" page instead, so a name can never reach
 * another workspace's app.
 */
public final class RouteGuard {
    private static final Logger log = LoggerFactory.getLogger(RouteGuard.class);

    /** Where a running workspace's app and IDE answer ({@code host:port} or a URL; the IDE's empty if none). */
    public record Running(String endpoint, String ideEndpoint) {}

    /** The workspaces running on this host now. */
    @FunctionalInterface
    public interface Registry {
        Map<String, Running> running();
    }

    /** For an edge without a local registry (tests of the edge alone): every route as given. */
    public static final RouteGuard TRUST_THE_TABLE = new RouteGuard(null);

    private final Registry registry;
    private final PreviewPorts previews;

    public RouteGuard(Registry registry) {
        this(registry, PreviewPorts.NONE);
    }

    /** @param previews what the workspaces running here listen on, for their preview names */
    public RouteGuard(Registry registry, PreviewPorts previews) {
        this.registry = registry;
        this.previews = previews;
    }

    /** A preview name is proxied only to a port its workspace listens on here now: these. */
    PreviewPorts previews() {
        return previews;
    }

    /** The routes as the edge may serve them now. */
    public List<EdgeRoute> effective(List<EdgeRoute> routes) {
        if (registry == null) {
            return routes;
        }
        Map<String, Running> running = registry.running();
        return routes.stream()
                .map(r -> {
                    if (r.mode() != EdgeRoute.Mode.PROXY) {
                        return r;
                    }
                    Running here = running.get(r.workspaceId());
                    if (here == null || !EdgeRoute.dial(here.endpoint()).equals(r.dial())) {
                        log.atWarn()
                                .setMessage("edge_route_withheld")
                                .addKeyValue("workspace", r.workspaceId())
                                .addKeyValue("upstream", r.dial())
                                .addKeyValue(
                                        "registry", here == null ? "not running here" : EdgeRoute.dial(here.endpoint()))
                                .addKeyValue("serving", "not_running_page")
                                .log();
                        return r.withMode(EdgeRoute.Mode.SUSPENDED);
                    }
                    if (!r.ideUpstream().isEmpty()
                            && !EdgeRoute.dial(here.ideEndpoint()).equals(r.ideDial())) {
                        log.atWarn()
                                .setMessage("edge_route_withheld")
                                .addKeyValue("workspace", r.workspaceId())
                                .addKeyValue("ide_upstream", r.ideDial())
                                .addKeyValue(
                                        "registry",
                                        here.ideEndpoint().isEmpty()
                                                ? "no IDE here"
                                                : EdgeRoute.dial(here.ideEndpoint()))
                                .addKeyValue("serving", "ide_not_routed")
                                .log();
                        return r.withoutIdeUpstream();
                    }
                    return r;
                })
                .toList();
    }

    /** The local ports {@code routes} proxy to: not to be given to another workspace while they are live. */
    public static Set<Integer> proxiedPorts(List<EdgeRoute> routes) {
        Set<Integer> ports = new HashSet<>();
        for (EdgeRoute r : routes) {
            if (r.mode() == EdgeRoute.Mode.PROXY) {
                addPort(ports, r.dial());
                addPort(ports, r.ideDial());
            }
        }
        return ports;
    }

    private static void addPort(Set<Integer> ports, String dial) {
        try {
            ports.add(Integer.parseInt(dial.substring(dial.lastIndexOf(':') + 1)));
        } catch (NumberFormatException e) {
            // not a host:port upstream (or none): nothing local to hold
        }
    }
}
