package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.agent.commands.CommandHooks;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.Operation;
import dev.spinup.controlplane.core.Envelope;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A snapshot command's presigned URL is signed when the command is sent, not when its step
 * enqueued it: a restore accepted while its host's agent was away gets a URL signed once the agent
 * is back (valid from then on), and succeeds. Before, the URL signed at enqueue could be expired —
 * or point at an object store that had come back on another address — by the time it was delivered.
 */
class PresignAtSendTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.agentHooks(new CommandHooks() {
        @Override
        public void beforeExecute(Command command) {
            delivered.add(command);
        }
    }));

    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;
    static final Envelope CAPACITY = new Envelope(4, 8, 50);
    static final List<Command> delivered = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        host = cluster.startAgent(CAPACITY);
    }

    @Test
    void aRestoreAcceptedWhileTheAgentWasAwayGetsAUrlSignedWhenItIsSent() throws Exception {
        Operation create = cluster.product()
                .createWorkspace(Workspaces.hobby("away").build())
                .getOperation();
        Workspaces.awaitSucceeded(cluster.product(), create);
        String ws = create.getWorkspaceId();
        Workspaces.awaitSucceeded(cluster.product(), Workspaces.request(cluster.product(), "archive", ws));

        host.agent().close(); // away; its heartbeat lease still lets placement choose it
        Operation restore = Workspaces.request(cluster.product(), "restore", ws);
        String commandId = restore.getId() + "/download";
        Instant enqueued = Eventually.await(
                        Duration.ofSeconds(30),
                        "the download command to be enqueued",
                        () -> cluster.database()
                                .withHandle(h -> h.createQuery(
                                                "SELECT created_at FROM agent_commands WHERE command_id = :id")
                                        .bind("id", commandId)
                                        .mapTo(java.sql.Timestamp.class)
                                        .findOne()),
                        java.util.Optional::isPresent)
                .orElseThrow()
                .toInstant();
        byte[] bytes = cluster.database()
                .withHandle(h -> h.createQuery("SELECT command FROM agent_commands WHERE command_id = :id")
                        .bind("id", commandId)
                        .mapTo(byte[].class)
                        .one());
        Command stored = Command.parseFrom(bytes);
        assertThat(stored.getRestoreSnapshot().getDownloadUrl())
                .as("no URL is decided when the step enqueues")
                .isEmpty();
        // The signature's date has a resolution of a second: come back a second later.
        Eventually.await(
                Duration.ofSeconds(5), "a second to pass", () -> Instant.now().isAfter(enqueued.plusSeconds(1)));
        Instant back = Instant.now();
        host = cluster.restartAgent(host, null, CAPACITY);

        assertThat(Workspaces.awaitDone(cluster.product(), restore.getId()).getStatus())
                .isEqualTo(dev.spinup.api.v1.OperationStatus.OPERATION_STATUS_SUCCEEDED);
        Command sent = delivered.stream()
                .filter(c -> c.getCommandId().equals(commandId))
                .findFirst()
                .orElseThrow();
        Instant signed = signedAt(sent.getRestoreSnapshot().getDownloadUrl());
        assertThat(signed)
                .as("signed when sent, after the agent came back")
                .isAfterOrEqualTo(back.truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
                .isAfter(enqueued);
    }

    /** X-Amz-Date of a SigV4 presigned URL. */
    private static Instant signedAt(String url) {
        Matcher m = Pattern.compile("X-Amz-Date=(\\d{8}T\\d{6}Z)").matcher(url);
        assertThat(m.find()).as("a SigV4 presigned URL: %s", url).isTrue();
        return java.time.LocalDateTime.parse(m.group(1), DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'"))
                .toInstant(ZoneOffset.UTC);
    }
}
