package dev.spinup.testing;

import dev.spinup.api.v1.ArchiveWorkspaceRequest;
import dev.spinup.api.v1.CreateWorkspaceRequest;
import dev.spinup.api.v1.DeleteWorkspaceRequest;
import dev.spinup.api.v1.Flavor;
import dev.spinup.api.v1.GetOperationRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.ResizeWorkspaceRequest;
import dev.spinup.api.v1.RestoreWorkspaceRequest;
import dev.spinup.api.v1.SuspendWorkspaceRequest;
import dev.spinup.api.v1.WorkspaceServiceGrpc.WorkspaceServiceBlockingStub;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.UUID;

/** Request builders and waits shared by the end-to-end tests. */
final class Workspaces {
    // HTTP/1.1 as browsers speak it to a plain-HTTP server: the client's default would ask for an
    // h2c upgrade, which a dev server that takes WebSocket upgrades (Vite) leaves unanswered.
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private Workspaces() {}

    /** A create of a HOBBY workspace called {@code name}, under an external id of its own. */
    static CreateWorkspaceRequest.Builder hobby(String name) {
        return CreateWorkspaceRequest.newBuilder()
                .setRequestId("req-" + UUID.randomUUID())
                .setExternalWorkspaceId("ext-" + name + "-" + UUID.randomUUID())
                .setExternalUserId("user-1")
                .setDisplayName(name)
                .setRegion(SpinUpCluster.REGION)
                .setFlavor(Flavor.FLAVOR_HOBBY);
    }

    /** A HOBBY workspace named {@code name}, created through the API and active. */
    static String createActive(WorkspaceServiceBlockingStub client, String name) {
        return createActive(client, hobby(name));
    }

    /** The workspace {@code request} makes, once it is active. */
    static String createActive(WorkspaceServiceBlockingStub client, CreateWorkspaceRequest.Builder request) {
        Operation create = client.createWorkspace(request.build()).getOperation();
        awaitSucceeded(client, create);
        return create.getWorkspaceId();
    }

    /** A workspace in the state {@code verb} starts from, made through the API (null for create). */
    static String readyFor(WorkspaceServiceBlockingStub client, String verb) {
        if (verb.equals("create")) {
            return null;
        }
        Operation create =
                client.createWorkspace(hobby("ready-for-" + verb).build()).getOperation();
        awaitSucceeded(client, create);
        if (verb.equals("restore")) {
            awaitSucceeded(
                    client,
                    client.suspendWorkspace(SuspendWorkspaceRequest.newBuilder()
                                    .setRequestId("req-" + UUID.randomUUID())
                                    .setWorkspaceId(create.getWorkspaceId())
                                    .build())
                            .getOperation());
        }
        return create.getWorkspaceId();
    }

    /** Calls {@code verb} on workspace {@code ws} (resize: to PRO) with a fresh request id. */
    static Operation request(WorkspaceServiceBlockingStub client, String verb, String ws) {
        String rid = "req-" + UUID.randomUUID();
        return switch (verb) {
            case "create" ->
                client.createWorkspace(hobby("verb-create").build()).getOperation();
            case "suspend" ->
                client.suspendWorkspace(SuspendWorkspaceRequest.newBuilder()
                                .setRequestId(rid)
                                .setWorkspaceId(ws)
                                .build())
                        .getOperation();
            case "archive" ->
                client.archiveWorkspace(ArchiveWorkspaceRequest.newBuilder()
                                .setRequestId(rid)
                                .setWorkspaceId(ws)
                                .build())
                        .getOperation();
            case "restore" ->
                client.restoreWorkspace(RestoreWorkspaceRequest.newBuilder()
                                .setRequestId(rid)
                                .setWorkspaceId(ws)
                                .build())
                        .getOperation();
            case "resize" ->
                client.resizeWorkspace(ResizeWorkspaceRequest.newBuilder()
                                .setRequestId(rid)
                                .setWorkspaceId(ws)
                                .setFlavor(Flavor.FLAVOR_PRO)
                                .build())
                        .getOperation();
            case "delete" ->
                client.deleteWorkspace(DeleteWorkspaceRequest.newBuilder()
                                .setRequestId(rid)
                                .setWorkspaceId(ws)
                                .build())
                        .getOperation();
            default -> throw new IllegalArgumentException("unknown verb " + verb);
        };
    }

    /** Publishes (or makes private again) the workspace's app at the edge, and waits for the edge to have it. */
    static void setAppSharing(WorkspaceServiceBlockingStub client, String ws, dev.spinup.api.v1.Sharing sharing) {
        awaitSucceeded(
                client,
                client.setSharing(dev.spinup.api.v1.SetSharingRequest.newBuilder()
                                .setRequestId("req-" + UUID.randomUUID())
                                .setWorkspaceId(ws)
                                .setTarget(dev.spinup.api.v1.AccessTarget.ACCESS_TARGET_APP)
                                .setSharing(sharing)
                                .build())
                        .getOperation());
    }

    /** A one-time URL into the workspace's {@code target}, with a fresh request id. */
    static dev.spinup.api.v1.AccessGrant grant(
            WorkspaceServiceBlockingStub client, String ws, dev.spinup.api.v1.AccessTarget target) {
        return client.createAccessGrant(dev.spinup.api.v1.CreateAccessGrantRequest.newBuilder()
                        .setRequestId("req-" + UUID.randomUUID())
                        .setWorkspaceId(ws)
                        .setTarget(target)
                        .build())
                .getAccessGrant();
    }

    static void awaitSucceeded(WorkspaceServiceBlockingStub client, Operation op) {
        org.assertj.core.api.Assertions.assertThat(awaitDone(client, op.getId()).getStatus())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
    }

    static Operation awaitDone(WorkspaceServiceBlockingStub client, String operationId) {
        return awaitDone(client, operationId, Duration.ofSeconds(60));
    }

    /** The operation once it has ended, polled for at most {@code timeout}. */
    static Operation awaitDone(WorkspaceServiceBlockingStub client, String operationId, Duration timeout) {
        return Eventually.await(
                timeout,
                "operation " + operationId + " to finish",
                // each poll with its own deadline: the stub's own may be shorter than the wait
                () -> client.withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
                        .getOperation(GetOperationRequest.newBuilder()
                                .setOperationId(operationId)
                                .build())
                        .getOperation(),
                op -> EnumSet.of(
                                OperationStatus.OPERATION_STATUS_SUCCEEDED,
                                OperationStatus.OPERATION_STATUS_FAILED,
                                OperationStatus.OPERATION_STATUS_ROLLED_BACK)
                        .contains(op.getStatus()));
    }

    /** The value of a series on a control plane's /metrics ({@code series} is a regex), if it is there. */
    static java.util.OptionalDouble metric(int metricsPort, String series) {
        String metrics = get("http://127.0.0.1:" + metricsPort + "/metrics").body();
        var m = java.util.regex.Pattern.compile("(?m)^" + series + " ([0-9.eE+-]+)$")
                .matcher(metrics);
        return m.find()
                ? java.util.OptionalDouble.of(Double.parseDouble(m.group(1)))
                : java.util.OptionalDouble.empty();
    }

    /** Stores a note in a workspace's starter app (PUT /notes/<name>). */
    static void putNote(String workspaceUrl, String name, String body) {
        try {
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(URI.create(workspaceUrl + "/notes/" + name))
                            .PUT(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            org.assertj.core.api.Assertions.assertThat(r.statusCode())
                    .as("PUT note %s", name)
                    .isEqualTo(204);
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The real guest entrypoint with a starter template whose start script is {@code startScript}. */
    static Path guestWithStartScript(Path dir, String startScript) throws IOException {
        java.nio.file.Files.createDirectories(dir.resolve("templates/starter"));
        try (var entrypoint = Workspaces.class.getResourceAsStream("/spinup/guest/entrypoint.sh")) {
            java.nio.file.Files.copy(entrypoint, dir.resolve("entrypoint.sh"));
        }
        java.nio.file.Files.writeString(dir.resolve("templates/starter/spinup-start.sh"), startScript);
        return dir;
    }

    static HttpResponse<String> get(String url) {
        try {
            return HTTP.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("GET " + url + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
