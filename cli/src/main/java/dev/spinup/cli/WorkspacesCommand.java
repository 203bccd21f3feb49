package dev.spinup.cli;

import com.google.protobuf.Duration;
import dev.spinup.api.ProtoEnums;
import dev.spinup.api.v1.AccessGrant;
import dev.spinup.api.v1.AccessTarget;
import dev.spinup.api.v1.AddDomainRequest;
import dev.spinup.api.v1.ArchiveWorkspaceRequest;
import dev.spinup.api.v1.CreateAccessGrantRequest;
import dev.spinup.api.v1.CreateWorkspaceRequest;
import dev.spinup.api.v1.DeleteWorkspaceRequest;
import dev.spinup.api.v1.Domain;
import dev.spinup.api.v1.Envelope;
import dev.spinup.api.v1.Flavor;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.ListDomainsRequest;
import dev.spinup.api.v1.ListDomainsResponse;
import dev.spinup.api.v1.ListWorkspacesRequest;
import dev.spinup.api.v1.ListWorkspacesResponse;
import dev.spinup.api.v1.ProjectTemplate;
import dev.spinup.api.v1.RemoveDomainRequest;
import dev.spinup.api.v1.ResizeWorkspaceRequest;
import dev.spinup.api.v1.RestoreWorkspaceRequest;
import dev.spinup.api.v1.SetSharingRequest;
import dev.spinup.api.v1.Sharing;
import dev.spinup.api.v1.SuspendWorkspaceRequest;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceState;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "workspaces", description = "Create, inspect and move workspaces through their lifecycle.")
final class WorkspacesCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "create", description = "Create a workspace (an operation: CREATE).")
    int create(
            @Option(
                            names = "--external-id",
                            required = true,
                            description = "The product's id for it (unique among live workspaces).")
                    String externalId,
            @Option(names = "--user", required = true, description = "The product's id of its user.") String user,
            @Option(names = "--name", required = true, description = "Its display name.") String name,
            @Option(names = "--region", defaultValue = "local", description = "Default: ${DEFAULT-VALUE}.")
                    String region,
            @Option(
                            names = "--flavor",
                            defaultValue = "hobby",
                            description = "hobby, pro, team or custom (default ${DEFAULT-VALUE}).")
                    String flavor,
            @Option(names = "--envelope", paramLabel = "VCPU,RAM_GB,DISK_GB", description = "With --flavor custom.")
                    String envelope,
            @Option(names = "--template", description = "starter (default), react, react_native_web or nextjs.")
                    String template,
            @Option(names = "--label", paramLabel = "KEY=VALUE", description = "The product's labels (repeatable).")
                    Map<String, String> labels,
            @Mixin Mutation m) {
        try (Session s = Session.of(spec)) {
            CreateWorkspaceRequest.Builder r = CreateWorkspaceRequest.newBuilder()
                    .setExternalWorkspaceId(externalId)
                    .setExternalUserId(user)
                    .setDisplayName(name)
                    .setRegion(region)
                    .setFlavor(value(Flavor.class, flavor, "--flavor"));
            if (envelope != null) {
                r.setCustomEnvelope(envelope(envelope));
            }
            if (template != null) {
                r.setTemplate(value(ProjectTemplate.class, template, "--template"));
            }
            if (labels != null) {
                r.putAllLabels(labels);
            }
            r.setRequestId(s.requestId(m.requestId));
            return m.print(s, s.api().createWorkspace(r.build()).getOperation());
        }
    }

    @Command(name = "get", description = "Show a workspace.")
    int get(@Parameters(paramLabel = "WORKSPACE_ID") String id) {
        try (Session s = Session.of(spec)) {
            Workspace w = s.api()
                    .getWorkspace(
                            GetWorkspaceRequest.newBuilder().setWorkspaceId(id).build())
                    .getWorkspace();
            if (s.out.json) {
                s.out.json(w);
                return 0;
            }
            s.out.fields(
                    "id", w.getId(),
                    "name", w.getDisplayName(),
                    "state", Output.name(w.getState()),
                    "operation", w.getCurrentOperationId(),
                    "flavor", Output.name(w.getFlavor()),
                    "envelope", envelope(w.getEnvelope()),
                    "region", w.getRegion(),
                    "host", w.getHostId(),
                    "template", Output.name(w.getTemplate()),
                    "external id", w.getExternalWorkspaceId(),
                    "user", w.getExternalUserId(),
                    "hostname", w.getHostname(),
                    "ide", w.getIdeHostname(),
                    "app sharing", Output.name(w.getAppSharing()),
                    "url", w.getUrl(),
                    "labels", w.getLabelsMap().isEmpty() ? "" : w.getLabelsMap().toString(),
                    "created", Output.time(w.getCreatedAt()),
                    "last active", Output.time(w.getLastActiveAt()));
            return 0;
        }
    }

    @Command(name = "list", description = "List workspaces, newest first.")
    int list(
            @Option(names = "--state", description = "active, suspended, archived or deleted.") String state,
            @Option(names = "--region") String region,
            @Option(names = "--user", description = "The product's user id.") String user,
            @Mixin Pages pages) {
        try (Session s = Session.of(spec)) {
            ListWorkspacesRequest.Builder r = ListWorkspacesRequest.newBuilder();
            if (state != null) {
                r.setState(value(WorkspaceState.class, state, "--state"));
            }
            if (region != null) {
                r.setRegion(region);
            }
            if (user != null) {
                r.setExternalUserId(user);
            }
            List<ListWorkspacesResponse> answers = pages.fetch(
                    s,
                    token -> s.api()
                            .listWorkspaces(r.setPageSize(pages.size)
                                    .setPageToken(token)
                                    .build()),
                    ListWorkspacesResponse::getNextPageToken);
            if (pages.printJson(s, answers)) {
                return 0;
            }
            s.out.table(
                    List.of("ID", "NAME", "STATE", "FLAVOR", "REGION", "HOST", "HOSTNAME"),
                    answers.stream()
                            .flatMap(a -> a.getWorkspacesList().stream())
                            .map(w -> List.of(
                                    w.getId(),
                                    w.getDisplayName(),
                                    Output.name(w.getState()),
                                    Output.name(w.getFlavor()),
                                    w.getRegion(),
                                    w.getHostId(),
                                    w.getHostname()))
                            .toList());
            return 0;
        }
    }

    @Command(name = "suspend", description = "Power the workspace's VM off, keeping its disk on the host.")
    int suspend(@Parameters(paramLabel = "WORKSPACE_ID") String id, @Mixin Mutation m) {
        try (Session s = Session.of(spec)) {
            return m.print(
                    s,
                    s.api()
                            .suspendWorkspace(SuspendWorkspaceRequest.newBuilder()
                                    .setRequestId(s.requestId(m.requestId))
                                    .setWorkspaceId(id)
                                    .build())
                            .getOperation());
        }
    }

    @Command(name = "archive", description = "Snapshot the workspace to object storage, verify it, free the host.")
    int archive(@Parameters(paramLabel = "WORKSPACE_ID") String id, @Mixin Mutation m) {
        try (Session s = Session.of(spec)) {
            return m.print(
                    s,
                    s.api()
                            .archiveWorkspace(ArchiveWorkspaceRequest.newBuilder()
                                    .setRequestId(s.requestId(m.requestId))
                                    .setWorkspaceId(id)
                                    .build())
                            .getOperation());
        }
    }

    @Command(name = "snapshot", description = "Snapshot an active workspace now (an operation: SNAPSHOT).")
    int snapshot(@Parameters(paramLabel = "WORKSPACE_ID") String id, @Mixin Mutation m) {
        try (Session s = Session.of(spec)) {
            return m.print(
                    s,
                    s.api()
                            .snapshotWorkspace(dev.spinup.api.v1.SnapshotWorkspaceRequest.newBuilder()
                                    .setRequestId(s.requestId(m.requestId))
                                    .setWorkspaceId(id)
                                    .build())
                            .getOperation());
        }
    }

    @Command(name = "snapshots", description = "List a workspace's snapshots in object storage, newest first.")
    int snapshots(@Parameters(paramLabel = "WORKSPACE_ID") String id, @Mixin Pages pages) {
        try (Session s = Session.of(spec)) {
            List<dev.spinup.api.v1.ListSnapshotsResponse> answers = pages.fetch(
                    s,
                    token -> s.api()
                            .listSnapshots(dev.spinup.api.v1.ListSnapshotsRequest.newBuilder()
                                    .setWorkspaceId(id)
                                    .setPageSize(pages.size)
                                    .setPageToken(token)
                                    .build()),
                    dev.spinup.api.v1.ListSnapshotsResponse::getNextPageToken);
            if (pages.printJson(s, answers)) {
                return 0;
            }
            s.out.table(
                    List.of("ID", "KIND", "CREATED", "SIZE", "VERIFIED", "BASE"),
                    answers.stream()
                            .flatMap(a -> a.getSnapshotsList().stream())
                            .map(x -> List.of(
                                    x.getId(),
                                    Output.name(x.getKind()),
                                    Output.time(x.getCreatedAt()),
                                    Long.toString(x.getSizeBytes()),
                                    x.hasVerifiedAt() ? Output.time(x.getVerifiedAt()) : "-",
                                    x.getBaseSnapshotId().isEmpty() ? "-" : x.getBaseSnapshotId()))
                            .toList());
            return 0;
        }
    }

    @Command(
            name = "fork",
            description = "A new workspace from a verified snapshot of this one (an operation: CREATE).")
    int fork(
            @Parameters(paramLabel = "SOURCE_WORKSPACE_ID") String source,
            @Option(names = "--snapshot", description = "Which snapshot (default: the newest verified one).")
                    String snapshot,
            @Option(names = "--external-id", required = true, description = "The product's id for the fork.")
                    String externalId,
            @Option(names = "--user", required = true, description = "The product's id of its user.") String user,
            @Option(names = "--name", required = true, description = "Its display name.") String name,
            @Option(names = "--label", paramLabel = "KEY=VALUE", description = "The product's labels (repeatable).")
                    Map<String, String> labels,
            @Mixin Mutation m) {
        try (Session s = Session.of(spec)) {
            dev.spinup.api.v1.ForkWorkspaceRequest.Builder r = dev.spinup.api.v1.ForkWorkspaceRequest.newBuilder()
                    .setSourceWorkspaceId(source)
                    .setSnapshotId(snapshot == null ? "" : snapshot)
                    .setExternalWorkspaceId(externalId)
                    .setExternalUserId(user)
                    .setDisplayName(name);
            if (labels != null) {
                r.putAllLabels(labels);
            }
            r.setRequestId(s.requestId(m.requestId));
            return m.print(s, s.api().forkWorkspace(r.build()).getOperation());
        }
    }

    @Command(name = "restore", description = "Make a suspended or archived workspace active again.")
    int restore(@Parameters(paramLabel = "WORKSPACE_ID") String id, @Mixin Mutation m) {
        try (Session s = Session.of(spec)) {
            return m.print(
                    s,
                    s.api()
                            .restoreWorkspace(RestoreWorkspaceRequest.newBuilder()
                                    .setRequestId(s.requestId(m.requestId))
                                    .setWorkspaceId(id)
                                    .build())
                            .getOperation());
        }
    }

    @Command(name = "resize", description = "Change the workspace's flavor or envelope.")
    int resize(
            @Parameters(paramLabel = "WORKSPACE_ID") String id,
            @Option(names = "--flavor", required = true, description = "hobby, pro, team or custom.") String flavor,
            @Option(names = "--envelope", paramLabel = "VCPU,RAM_GB,DISK_GB", description = "With --flavor custom.")
                    String envelope,
            @Option(
                            names = "--deploy-count",
                            description = "The deploys the product counts (checked against the flavor's ceiling).")
                    Integer deploys,
            @Mixin Mutation m) {
        try (Session s = Session.of(spec)) {
            ResizeWorkspaceRequest.Builder r = ResizeWorkspaceRequest.newBuilder()
                    .setWorkspaceId(id)
                    .setFlavor(value(Flavor.class, flavor, "--flavor"));
            if (envelope != null) {
                r.setCustomEnvelope(envelope(envelope));
            }
            if (deploys != null) {
                r.setDeployCount(deploys);
            }
            r.setRequestId(s.requestId(m.requestId));
            return m.print(s, s.api().resizeWorkspace(r.build()).getOperation());
        }
    }

    @Command(name = "delete", description = "Delete the workspace, its VM, disk and snapshots.")
    int delete(@Parameters(paramLabel = "WORKSPACE_ID") String id, @Mixin Mutation m) {
        try (Session s = Session.of(spec)) {
            return m.print(
                    s,
                    s.api()
                            .deleteWorkspace(DeleteWorkspaceRequest.newBuilder()
                                    .setRequestId(s.requestId(m.requestId))
                                    .setWorkspaceId(id)
                                    .build())
                            .getOperation());
        }
    }

    @Command(name = "open", description = "A one-time link into the workspace's IDE or app (CreateAccessGrant).")
    int open(
            @Parameters(paramLabel = "WORKSPACE_ID") String id,
            @Option(names = "--target", defaultValue = "ide", description = "ide (default), app or port.")
                    String target,
            @Option(names = "--port", description = "With --target port: the preview port.") Integer port,
            @Option(
                            names = "--session-ttl",
                            converter = Main.Durations.class,
                            description = "How long the browser session lasts (60s to 12h).")
                    java.time.Duration ttl,
            @Option(names = "--request-id", paramLabel = "ID") String requestId) {
        try (Session s = Session.of(spec)) {
            CreateAccessGrantRequest.Builder r = CreateAccessGrantRequest.newBuilder()
                    .setWorkspaceId(id)
                    .setTarget(value(AccessTarget.class, target, "--target"));
            if (port != null) {
                r.setPort(port);
            }
            if (ttl != null) {
                r.setTtl(Duration.newBuilder().setSeconds(ttl.toSeconds()));
            }
            r.setRequestId(s.requestId(requestId));
            AccessGrant g = s.api().createAccessGrant(r.build()).getAccessGrant();
            if (s.out.json) {
                s.out.json(g);
            } else {
                s.out.line(g.getUrl());
                s.err.println(
                        "open it within a minute (until " + Output.time(g.getUrlExpireTime()) + "); it works once");
            }
            return 0;
        }
    }

    @Command(
            name = "share",
            description = "Publish the app or a preview port (anyone may open it), or make it private (SetSharing).")
    int share(
            @Parameters(paramLabel = "WORKSPACE_ID") String id,
            @Option(names = "--target", defaultValue = "app", description = "app (default) or port.") String target,
            @Option(names = "--port", description = "With --target port: the preview port.") Integer port,
            @Option(names = "--private", description = "Make it private again (default: public).") boolean makePrivate,
            @Mixin Mutation m) {
        try (Session s = Session.of(spec)) {
            SetSharingRequest.Builder r = SetSharingRequest.newBuilder()
                    .setWorkspaceId(id)
                    .setTarget(value(AccessTarget.class, target, "--target"))
                    .setSharing(makePrivate ? Sharing.SHARING_PRIVATE : Sharing.SHARING_PUBLIC);
            if (port != null) {
                r.setPort(port);
            }
            r.setRequestId(s.requestId(m.requestId));
            return m.print(s, s.api().setSharing(r.build()).getOperation());
        }
    }

    @Command(name = "domains", description = "A workspace's domains: list, add or remove a custom one.")
    int domains(
            @Parameters(index = "0", paramLabel = "WORKSPACE_ID") String id,
            @ArgGroup(exclusive = true) DomainChange change,
            @Mixin Mutation m,
            @Mixin Pages pages) {
        try (Session s = Session.of(spec)) {
            if (change != null && change.add != null) {
                return m.print(
                        s,
                        s.api()
                                .addDomain(AddDomainRequest.newBuilder()
                                        .setRequestId(s.requestId(m.requestId))
                                        .setWorkspaceId(id)
                                        .setDomain(change.add)
                                        .build())
                                .getOperation());
            }
            if (change != null && change.remove != null) {
                return m.print(
                        s,
                        s.api()
                                .removeDomain(RemoveDomainRequest.newBuilder()
                                        .setRequestId(s.requestId(m.requestId))
                                        .setWorkspaceId(id)
                                        .setDomain(change.remove)
                                        .build())
                                .getOperation());
            }
            List<ListDomainsResponse> answers = pages.fetch(
                    s,
                    token -> s.api()
                            .listDomains(ListDomainsRequest.newBuilder()
                                    .setWorkspaceId(id)
                                    .setPageSize(pages.size)
                                    .setPageToken(token)
                                    .build()),
                    ListDomainsResponse::getNextPageToken);
            if (pages.printJson(s, answers)) {
                return 0;
            }
            s.out.table(
                    List.of("DOMAIN", "KIND", "CERTIFICATE", "VERIFIED"),
                    answers.stream()
                            .flatMap(a -> a.getDomainsList().stream())
                            .map((Domain d) -> List.of(
                                    d.getDomain(),
                                    Output.name(d.getKind()),
                                    Output.name(d.getCertState()),
                                    Output.time(d.getVerifiedAt())))
                            .toList());
            return 0;
        }
    }

    static final class DomainChange {
        @Option(
                names = "--add",
                paramLabel = "DOMAIN",
                description = "Route a custom domain to the workspace (ADD_DOMAIN).")
        String add;

        @Option(
                names = "--remove",
                paramLabel = "DOMAIN",
                description = "Stop routing a custom domain (REMOVE_DOMAIN).")
        String remove;
    }

    /** The proto value for a word on the command line: "pro" → FLAVOR_PRO. */
    static <E extends Enum<E> & com.google.protobuf.ProtocolMessageEnum> E value(
            Class<E> type, String word, String option) {
        try {
            E v = ProtoEnums.of(type, word.toUpperCase(Locale.ROOT).replace('-', '_'));
            if (v.getNumber() != 0) {
                return v;
            }
        } catch (IllegalArgumentException e) {
            // reported below, with the choices
        }
        List<String> choices = java.util.Arrays.stream(type.getEnumConstants())
                .filter(c -> c.ordinal() != 0 && !c.name().equals("UNRECOGNIZED"))
                .map(Output::name)
                .toList();
        throw new Failures.BadSetting(option + " '" + word + "' is not one of " + String.join(", ", choices));
    }

    static Envelope envelope(String text) {
        String[] p = text.split(",", -1);
        try {
            if (p.length == 3) {
                return Envelope.newBuilder()
                        .setVcpu(Integer.parseInt(p[0].strip()))
                        .setRamGb(Integer.parseInt(p[1].strip()))
                        .setDiskGb(Integer.parseInt(p[2].strip()))
                        .build();
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new Failures.BadSetting("--envelope '" + text + "' is not VCPU,RAM_GB,DISK_GB (e.g. 4,8,40)");
    }

    static String envelope(Envelope e) {
        return e.getVcpu() + " vCPU, " + e.getRamGb() + " GiB RAM, " + e.getDiskGb() + " GiB disk";
    }
}
