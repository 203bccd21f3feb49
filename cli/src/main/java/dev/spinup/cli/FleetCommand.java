package dev.spinup.cli;

import com.google.protobuf.Duration;
import dev.spinup.api.v1.CreateEnrollmentTokenRequest;
import dev.spinup.api.v1.CreateEnrollmentTokenResponse;
import dev.spinup.api.v1.DrainHostRequest;
import dev.spinup.api.v1.Envelope;
import dev.spinup.api.v1.Flavor;
import dev.spinup.api.v1.GetHostRequest;
import dev.spinup.api.v1.GetRegionRequest;
import dev.spinup.api.v1.Host;
import dev.spinup.api.v1.HostState;
import dev.spinup.api.v1.ListHostsRequest;
import dev.spinup.api.v1.ListHostsResponse;
import dev.spinup.api.v1.ListOrphansRequest;
import dev.spinup.api.v1.ListOrphansResponse;
import dev.spinup.api.v1.ListRegionsRequest;
import dev.spinup.api.v1.ListRegionsResponse;
import dev.spinup.api.v1.RegionCapacity;
import dev.spinup.api.v1.RegionStatus;
import dev.spinup.api.v1.SetRegionCapacityRequest;
import dev.spinup.api.v1.UndrainHostRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "fleet", description = "Regions and hosts (admin scope).")
final class FleetCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "regions", description = "List regions.")
    int regions(@Mixin Pages pages) {
        try (Session s = Session.of(spec)) {
            List<ListRegionsResponse> answers = pages.fetch(
                    s,
                    token -> s.api()
                            .listRegions(ListRegionsRequest.newBuilder()
                                    .setPageSize(pages.size)
                                    .setPageToken(token)
                                    .build()),
                    ListRegionsResponse::getNextPageToken);
            if (pages.printJson(s, answers)) {
                return 0;
            }
            s.out.table(
                    List.of("ID", "NAME", "STATE", "CREATED"),
                    answers.stream()
                            .flatMap(a -> a.getRegionsList().stream())
                            .map(r -> List.of(
                                    r.getId(),
                                    r.getDisplayName(),
                                    Output.name(r.getState()),
                                    Output.time(r.getCreatedAt())))
                            .toList());
            return 0;
        }
    }

    @Command(
            name = "region",
            description = "Show a region: its capacity settings, hosts by state, free room, headroom.")
    int region(@Parameters(paramLabel = "REGION") String id) {
        try (Session s = Session.of(spec)) {
            print(
                    s,
                    s.api()
                            .getRegion(
                                    GetRegionRequest.newBuilder().setRegion(id).build())
                            .getRegion());
            return 0;
        }
    }

    @Command(
            name = "set-capacity",
            description = "Set a region's min/max hosts, warm headroom and scale-in cool-down (all of them).")
    int setCapacity(
            @Parameters(paramLabel = "REGION") String id,
            @Option(names = "--min-hosts", defaultValue = "0") int minHosts,
            @Option(names = "--max-hosts", defaultValue = "0", description = "0: no limit.") int maxHosts,
            @Option(
                            names = "--headroom",
                            defaultValue = "0",
                            description = "Workspaces of --headroom-flavor kept room for at all times.")
                    int headroom,
            @Option(names = "--headroom-flavor", defaultValue = "hobby", description = "hobby, pro or team.")
                    String flavor,
            @Option(
                            names = "--cool-down",
                            converter = Main.Durations.class,
                            description = "How long an empty host stays before scale-in (default 10m).")
                    java.time.Duration coolDown) {
        try (Session s = Session.of(spec)) {
            RegionCapacity.Builder c = RegionCapacity.newBuilder()
                    .setMinHosts(minHosts)
                    .setMaxHosts(maxHosts)
                    .setHeadroomWorkspaces(headroom)
                    .setHeadroomFlavor(WorkspacesCommand.value(Flavor.class, flavor, "--headroom-flavor"));
            if (coolDown != null) {
                c.setScaleInCoolDown(Duration.newBuilder().setSeconds(coolDown.toSeconds()));
            }
            print(
                    s,
                    s.api()
                            .setRegionCapacity(SetRegionCapacityRequest.newBuilder()
                                    .setRegion(id)
                                    .setCapacity(c)
                                    .build())
                            .getRegion());
            return 0;
        }
    }

    private static void print(Session s, RegionStatus r) {
        if (s.out.json) {
            s.out.json(r);
            return;
        }
        RegionCapacity c = r.getCapacity();
        s.out.fields(
                "id",
                r.getRegion().getId(),
                "name",
                r.getRegion().getDisplayName(),
                "state",
                Output.name(r.getRegion().getState()),
                "hosts",
                r.getHosts() + " (" + r.getHostsPlaceable() + " placeable, " + r.getHostsEnrolling() + " enrolling, "
                        + r.getHostsDraining() + " draining, " + r.getHostsUnhealthy() + " unhealthy)",
                "min/max hosts",
                c.getMinHosts() + " / " + (c.getMaxHosts() == 0 ? "no limit" : c.getMaxHosts()),
                "free",
                room(r.getFree()),
                "headroom",
                r.getHeadroomFree() + " of " + r.getHeadroomTarget() + " " + Output.name(c.getHeadroomFlavor())
                        + " free",
                "scale-in after",
                c.getScaleInCoolDown().getSeconds() + " s empty",
                "scaling",
                r.getPendingScaleUpsList().stream()
                        .map(a -> Output.name(a.getState()) + " " + a.getHostsBefore() + " -> " + a.getHostsWanted()
                                + " hosts (" + a.getReason() + ", " + a.getAge().getSeconds() + " s ago)")
                        .findFirst()
                        .orElse("-"));
    }

    @Command(name = "hosts", description = "List hosts with their room and load.")
    int hosts(
            @Option(names = "--region") String region,
            @Option(names = "--state", description = "enrolling, healthy, unhealthy, draining or retired.")
                    String state,
            @Mixin Pages pages) {
        try (Session s = Session.of(spec)) {
            ListHostsRequest.Builder r = ListHostsRequest.newBuilder();
            if (region != null) {
                r.setRegion(region);
            }
            if (state != null) {
                r.setState(WorkspacesCommand.value(HostState.class, state, "--state"));
            }
            List<ListHostsResponse> answers = pages.fetch(
                    s,
                    token -> s.api()
                            .listHosts(r.setPageSize(pages.size)
                                    .setPageToken(token)
                                    .build()),
                    ListHostsResponse::getNextPageToken);
            if (pages.printJson(s, answers)) {
                return 0;
            }
            s.out.table(
                    List.of("ID", "REGION", "STATE", "CONNECTED", "VCPU", "RAM_GB", "DISK_GB", "WORKSPACES", "FQDN"),
                    answers.stream()
                            .flatMap(a -> a.getHostsList().stream())
                            .map(h -> List.of(
                                    h.getId(),
                                    h.getRegion(),
                                    Output.name(h.getState()),
                                    h.getConnected() ? "yes" : "no",
                                    h.getAllocated().getVcpu() + "/"
                                            + h.getTotal().getVcpu(),
                                    h.getAllocated().getRamGb() + "/"
                                            + h.getTotal().getRamGb(),
                                    h.getAllocated().getDiskGb() + "/"
                                            + h.getTotal().getDiskGb(),
                                    Integer.toString(h.getWorkspaceCount()),
                                    h.getFqdn()))
                            .toList());
            return 0;
        }
    }

    @Command(name = "host", description = "Show a host.")
    int host(@Parameters(paramLabel = "HOST_ID") String id) {
        try (Session s = Session.of(spec)) {
            print(
                    s,
                    s.api()
                            .getHost(GetHostRequest.newBuilder().setHostId(id).build())
                            .getHost());
            return 0;
        }
    }

    @Command(name = "drain", description = "Place nothing new on the host (its workspaces stay).")
    int drain(@Parameters(paramLabel = "HOST_ID") String id) {
        try (Session s = Session.of(spec)) {
            print(
                    s,
                    s.api()
                            .drainHost(
                                    DrainHostRequest.newBuilder().setHostId(id).build())
                            .getHost());
            return 0;
        }
    }

    @Command(name = "undrain", description = "Place workspaces on the host again.")
    int undrain(@Parameters(paramLabel = "HOST_ID") String id) {
        try (Session s = Session.of(spec)) {
            print(
                    s,
                    s.api()
                            .undrainHost(UndrainHostRequest.newBuilder()
                                    .setHostId(id)
                                    .build())
                            .getHost());
            return 0;
        }
    }

    @Command(
            name = "declare-lost",
            description = "Fence a host (its certificate opens no session) and recover its workspaces elsewhere.")
    int declareLost(
            @Parameters(paramLabel = "HOST_ID") String id,
            @Option(
                            names = "--reason",
                            required = true,
                            description = "Why, for the audit log (at most 200 characters).")
                    String reason) {
        try (Session s = Session.of(spec)) {
            print(
                    s,
                    s.api()
                            .declareHostLost(dev.spinup.api.v1.DeclareHostLostRequest.newBuilder()
                                    .setHostId(id)
                                    .setReason(reason)
                                    .build())
                            .getHost());
            return 0;
        }
    }

    @Command(name = "evacuate", description = "Drain a host and move its workspaces to other hosts, with no data lost.")
    int evacuate(@Parameters(paramLabel = "HOST_ID") String id) {
        try (Session s = Session.of(spec)) {
            var answer = s.api()
                    .evacuateHost(dev.spinup.api.v1.EvacuateHostRequest.newBuilder()
                            .setHostId(id)
                            .build());
            if (s.out.json) {
                s.out.json(answer);
                return 0;
            }
            print(s, answer.getHost());
            for (var op : answer.getOperationsList()) {
                s.out.line("moving " + op.getWorkspaceId() + ": operation " + op.getId());
            }
            for (String left : answer.getWorkspacesLeftList()) {
                s.out.line("left " + left + " (busy, or no room elsewhere): evacuate again");
            }
            return 0;
        }
    }

    @Command(name = "orphans", description = "Workspaces a host has that the control plane does not place there.")
    int orphans(@Option(names = "--host", paramLabel = "HOST_ID") String host, @Mixin Pages pages) {
        try (Session s = Session.of(spec)) {
            List<ListOrphansResponse> answers = pages.fetch(
                    s,
                    token -> s.api()
                            .listOrphans(ListOrphansRequest.newBuilder()
                                    .setHostId(host == null ? "" : host)
                                    .setPageSize(pages.size)
                                    .setPageToken(token)
                                    .build()),
                    ListOrphansResponse::getNextPageToken);
            if (pages.printJson(s, answers)) {
                return 0;
            }
            s.out.table(
                    List.of("HOST", "WORKSPACE", "LOCAL_STATE", "FIRST_SEEN", "LAST_SEEN"),
                    answers.stream()
                            .flatMap(a -> a.getOrphansList().stream())
                            .map(o -> List.of(
                                    o.getHostId(),
                                    o.getWorkspaceId(),
                                    o.getLocalState().toLowerCase(java.util.Locale.ROOT),
                                    Output.time(o.getFirstSeenAt()),
                                    Output.time(o.getLastSeenAt())))
                            .toList());
            return 0;
        }
    }

    @Command(name = "enroll-token", description = "A one-time token that enrolls a new host in a region.")
    int enrollToken(
            @Option(names = "--region", required = true) String region,
            @Option(
                            names = "--ttl",
                            converter = Main.Durations.class,
                            description = "How long it is valid (server default if not given).")
                    java.time.Duration ttl) {
        try (Session s = Session.of(spec)) {
            CreateEnrollmentTokenRequest.Builder r =
                    CreateEnrollmentTokenRequest.newBuilder().setRegion(region);
            if (ttl != null) {
                r.setTtl(Duration.newBuilder().setSeconds(ttl.toSeconds()));
            }
            CreateEnrollmentTokenResponse t = s.api().createEnrollmentToken(r.build());
            if (s.out.json) {
                s.out.json(t);
            } else {
                s.out.line(t.getToken());
                s.err.println("valid once, until " + Output.time(t.getExpiresAt()));
            }
            return 0;
        }
    }

    private static void print(Session s, Host h) {
        if (s.out.json) {
            s.out.json(h);
            return;
        }
        s.out.fields(
                "id", h.getId(),
                "region", h.getRegion(),
                "fqdn", h.getFqdn(),
                "state", Output.name(h.getState()),
                "since", Output.time(h.getStateSince()),
                "why", h.getStateReason(),
                "connected", h.getConnected() ? "yes" : "no",
                "total", room(h.getTotal()),
                "allocated", room(h.getAllocated()),
                "workspaces", Integer.toString(h.getWorkspaceCount()),
                "last heartbeat", Output.time(h.getLastHeartbeatAt()));
    }

    private static String room(Envelope e) {
        return WorkspacesCommand.envelope(e);
    }
}
