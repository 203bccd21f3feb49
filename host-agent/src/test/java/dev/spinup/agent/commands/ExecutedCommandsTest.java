package dev.spinup.agent.commands;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.CommandOutcome;
import dev.spinup.api.v1.CommandResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutedCommandsTest {
    @TempDir
    Path dir;

    private static CommandResult result(String id, String message) {
        return CommandResult.newBuilder()
                .setCommandId(id)
                .setOutcome(CommandOutcome.COMMAND_OUTCOME_SUCCEEDED)
                .setMessage(message)
                .build();
    }

    @Test
    void recordsSurviveAReopenAndATornLastRecordIsCutOff() throws Exception {
        ExecutedCommands records = new ExecutedCommands(dir);
        String done = UUID.randomUUID() + "/provision";
        String running = UUID.randomUUID() + "/start";
        records.markAccepted(done, Instant.parse("2026-12-01T10:00:00Z"));
        records.record(result(done, "provisioned"));
        records.markAccepted(running, null);
        long whole = Files.size(dir.resolve("commands.log"));
        // a crash in the middle of appending the next record (never fsync'd, so never acked)
        records.record(result(UUID.randomUUID() + "/stop", "x".repeat(200)));
        try (FileChannel log = FileChannel.open(dir.resolve("commands.log"), StandardOpenOption.WRITE)) {
            log.truncate(whole + 30);
        }

        ExecutedCommands reopened = new ExecutedCommands(dir);

        assertThat(reopened.result(done)).hasValue(result(done, "provisioned"));
        assertThat(reopened.wasAccepted(done)).isTrue();
        assertThat(reopened.wasAccepted(running)).isTrue();
        assertThat(reopened.result(running)).isEmpty();
        assertThat(reopened.recent(10)).containsExactly(done);
        assertThat(Files.size(dir.resolve("commands.log")))
                .as("the torn tail is cut off")
                .isEqualTo(whole);
        String next = UUID.randomUUID() + "/stop";
        reopened.record(result(next, "after the cut"));
        assertThat(new ExecutedCommands(dir).result(next)).hasValue(result(next, "after the cut"));
    }

    @Test
    void aCorruptRecordEndsTheLogThere() throws Exception {
        ExecutedCommands records = new ExecutedCommands(dir);
        String first = UUID.randomUUID() + "/a";
        String second = UUID.randomUUID() + "/b";
        records.record(result(first, "one"));
        long firstEnds = Files.size(dir.resolve("commands.log"));
        records.record(result(second, "two"));
        try (FileChannel log = FileChannel.open(dir.resolve("commands.log"), StandardOpenOption.WRITE)) {
            log.write(ByteBuffer.wrap(new byte[] {0x55}), Files.size(dir.resolve("commands.log")) - 2);
        }

        ExecutedCommands reopened = new ExecutedCommands(dir);

        assertThat(reopened.result(first)).isPresent();
        assertThat(reopened.result(second)).as("its checksum does not match").isEmpty();
        assertThat(Files.size(dir.resolve("commands.log"))).isEqualTo(firstEnds);
    }

    @Test
    void recordsWrittenAtOnceAreAllDurableWithAtMostOneFsyncEach() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ExecutedCommands records = new ExecutedCommands(dir, meters);
        List<String> ids = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> writes = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String id = UUID.randomUUID() + "/n" + i;
                ids.add(id);
                writes.add(pool.submit(() -> {
                    records.markAccepted(id, null);
                    records.record(result(id, id));
                }));
            }
            for (Future<?> w : writes) {
                w.get();
            }
        }
        long fsyncs =
                meters.timer("spinup_agent_fsync", "file", "command_record").count();
        assertThat(fsyncs).as("at most one fsync per record").isBetween(1L, 400L);

        ExecutedCommands reopened = new ExecutedCommands(dir);
        for (String id : ids) {
            assertThat(reopened.wasAccepted(id)).isTrue();
            assertThat(reopened.result(id)).hasValue(result(id, id));
        }
        assertThat(reopened.recent(1000)).hasSize(200);
    }

    @Test
    void anAgentUpgradedFromOneFilePerRecordImportsThem() throws Exception {
        String done = UUID.randomUUID() + "/provision";
        String accepted = UUID.randomUUID() + "/start";
        Files.write(
                dir.resolve(done.replace("/", "~") + ".result"),
                result(done, "old").toByteArray());
        Files.writeString(dir.resolve(done.replace("/", "~") + ".accepted"), "1796205600000");
        Files.writeString(dir.resolve(accepted.replace("/", "~") + ".accepted"), "");
        Files.writeString(dir.resolve("x~y.result.tmp"), "half");

        ExecutedCommands records = new ExecutedCommands(dir);

        assertThat(records.result(done)).hasValue(result(done, "old"));
        assertThat(records.wasAccepted(accepted)).isTrue();
        assertThat(records.result(accepted)).isEmpty();
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("commands.log");
        }
        // the imported deadline still decides when the records go
        Instant deadline = Instant.ofEpochMilli(1796205600000L);
        assertThat(records.prune(deadline.plus(ExecutedCommands.PAST_DEADLINE), java.util.Set.of()))
                .isZero();
        assertThat(records.prune(deadline.plus(ExecutedCommands.PAST_DEADLINE).plusSeconds(1), java.util.Set.of()))
                .isEqualTo(1);
        assertThat(new ExecutedCommands(dir).result(done)).isEmpty();
        assertThat(new ExecutedCommands(dir).wasAccepted(accepted)).isTrue();
    }
}
