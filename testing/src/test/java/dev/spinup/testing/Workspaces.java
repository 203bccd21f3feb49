package dev.spinup.testing;

import dev.spinup.api.v1.CreateWorkspaceRequest;
import dev.spinup.api.v1.Flavor;
import dev.spinup.api.v1.GetOperationRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.WorkspaceServiceGrpc.WorkspaceServiceBlockingStub;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumSet;
import java.util.UUID;

/** Request builders and waits shared by the end-to-end tests. */
final class Workspaces {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Workspaces() {}

    static CreateWorkspaceRequest.Builder hobby(String name) {
        return CreateWorkspaceRequest.newBuilder()
                .setRequestId("req-" + UUID.randomUUID())
                .setExternalWorkspaceId("ext-" + name)
                .setExternalUserId("user-1")
                .setDisplayName(name)
                .setRegion(SpinUpCluster.REGION)
                .setFlavor(Flavor.HOBBY);
    }

    static Operation awaitDone(WorkspaceServiceBlockingStub client, String operationId) {
        return Eventually.await(Duration.ofSeconds(60), "operation " + operationId + " to finish",
                () -> client.getOperation(GetOperationRequest.newBuilder().setOperationId(operationId).build()),
                op -> EnumSet.of(OperationStatus.SUCCEEDED, OperationStatus.FAILED, OperationStatus.ROLLED_BACK)
                        .contains(op.getStatus()));
    }

    static HttpResponse<String> get(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("GET " + url + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
