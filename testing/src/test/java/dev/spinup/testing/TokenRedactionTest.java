package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.ListWorkspacesRequest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The authorization value never reaches a log line, on success or on error. */
class TokenRedactionTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
    }

    @Test
    void noLogLineContainsABearerToken() {
        CapturedLog captured = new CapturedLog();
        String wrongToken = "spn_this-one-is-wrong-but-still-secret";
        try {
            cluster.product().listWorkspaces(ListWorkspacesRequest.getDefaultInstance());
            assertThat(catchThrowable(() -> cluster.product()
                            .getWorkspace(GetWorkspaceRequest.newBuilder()
                                    .setWorkspaceId("01234567-89ab-7def-8123-456789abcdef")
                                    .build())
                            .getWorkspace()))
                    .as("an unknown workspace")
                    .isInstanceOf(io.grpc.StatusRuntimeException.class);
            assertThat(catchThrowable(() ->
                            cluster.client(wrongToken).listWorkspaces(ListWorkspacesRequest.getDefaultInstance())))
                    .as("a wrong token")
                    .isInstanceOf(io.grpc.StatusRuntimeException.class);
        } finally {
            captured.close();
        }

        assertThat(captured.lines())
                .as("the access log saw the calls")
                .anySatisfy(l -> assertThat(l).contains("authorization=[REDACTED]"));
        for (String line : captured.lines()) {
            assertThat(line)
                    .doesNotContain(cluster.productToken())
                    .doesNotContain(wrongToken)
                    .doesNotContain("spn_");
        }
    }
}
