package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.ListWorkspacesRequest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

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
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
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
            root.detachAppender(captured);
        }

        assertThat(captured.list)
                .as("the access log saw the calls")
                .anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("authorization=[REDACTED]"));
        for (ILoggingEvent event : captured.list) {
            String text = event.getFormattedMessage()
                    + (event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy()));
            assertThat(text)
                    .doesNotContain(cluster.productToken())
                    .doesNotContain(wrongToken)
                    .doesNotContain("spn_");
        }
    }
}
