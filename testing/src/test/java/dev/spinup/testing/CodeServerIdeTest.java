package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workspace IDE on its own: code-server as the repository builds it, started by the guest's
 * start-ide.sh on a workspace's disk, used through Chromium as a person would — the workbench
 * comes up, the explorer lists the project, the integrated terminal runs a command — and its
 * settings live on the workspace's disk, seeded once and never overwritten.
 */
class CodeServerIdeTest {
    private static final Logger log = LoggerFactory.getLogger(CodeServerIdeTest.class);

    @TempDir
    Path workspace;

    @Test
    void theIdeOpensTheProjectAndItsTerminalRunsCommands() throws Exception {
        Path template = Checkout.root().resolve("vm-base-config/guest/templates/starter");
        copy(template, workspace.resolve("project"));
        int port = Ports.free();
        Process ide = CodeServer.start(workspace, port, workspace.resolve("ide.log"));
        try {
            awaitHttp(ide, port);
            String token = UUID.randomUUID().toString().substring(0, 8);
            Path screenshot = Files.createDirectories(
                            Path.of("target/screenshots").toAbsolutePath())
                    .resolve("ide-process.png");

            Browser.IdeView view = Browser.openIde(
                    "http://127.0.0.1:" + port + "/",
                    screenshot,
                    "echo spinup-$((6*7))-" + token,
                    "spinup-42-" + token);

            List<String> files;
            try (Stream<Path> listed = Files.list(template)) {
                files = listed.map(p -> p.getFileName().toString()).toList();
            }
            assertThat(view.explorer()).as("the explorer shows the project").containsAll(files);
            assertThat(view.terminal().lines().map(String::strip))
                    .as("the terminal's screen")
                    .contains("spinup-42-" + token);
            assertThat(screenshot).isNotEmptyFile();
            log.info(
                    "event=ide_measured workbench_ms={} rss_mib={}",
                    view.workbenchMs(),
                    CodeServer.residentMib(ide.toHandle()));
        } finally {
            stop(ide);
        }
    }

    @Test
    void settingsLiveOnTheWorkspaceDiskAndAUsersChangeSurvivesARestart() throws Exception {
        Files.createDirectories(workspace.resolve("project"));
        Path settings = workspace.resolve(".ide/user-data/User/settings.json");
        int port = Ports.free();

        Process first = CodeServer.start(workspace, port, workspace.resolve("ide-1.log"));
        awaitHttp(first, port);
        stop(first);
        assertThat(Files.readString(settings))
                .as("seeded on first start")
                .contains("\"telemetry.telemetryLevel\": \"off\"")
                .contains("\"update.mode\": \"none\"");

        Files.writeString(settings, "{\"editor.fontSize\": 17}\n");
        Process second = CodeServer.start(workspace, port, workspace.resolve("ide-2.log"));
        awaitHttp(second, port);
        stop(second);
        assertThat(Files.readString(settings))
                .as("a user's settings are kept")
                .isEqualTo("{\"editor.fontSize\": 17}\n");
        assertThat(workspace.resolve(".ide/config/code-server/config.yaml"))
                .as("code-server's own config is on the workspace's disk, not in a home directory")
                .exists();
    }

    @Test
    void anIdeWhoseWorkspaceIsGoneStopsItself() throws Exception {
        Files.createDirectories(workspace.resolve("project"));
        int port = Ports.free();
        // the workspace's entrypoint, as far as the IDE can tell
        Process entrypoint = new ProcessBuilder("sleep", "600").start();
        Process ide = CodeServer.start(workspace, port, workspace.resolve("ide.log"), entrypoint.toHandle());
        try {
            awaitHttp(ide, port);
            List<ProcessHandle> group = Stream.concat(
                            Stream.of(ide.toHandle()), ide.toHandle().descendants())
                    .toList();
            assertThat(group.size()).as("code-server and its server").isGreaterThan(1);

            entrypoint.destroyForcibly().waitFor();
            Eventually.await(
                    Duration.ofSeconds(30),
                    "the IDE to stop with its workspace gone",
                    () -> group.stream().noneMatch(ProcessHandle::isAlive));
        } finally {
            entrypoint.destroyForcibly();
            stop(ide);
        }
    }

    private static void awaitHttp(Process ide, int port) {
        CodeServer.awaitReady("http://127.0.0.1:" + port, Duration.ofMinutes(1), ide.toHandle());
    }

    private static void stop(Process ide) throws InterruptedException {
        ide.toHandle().descendants().forEach(ProcessHandle::destroy);
        ide.destroy();
        if (!ide.waitFor(10, TimeUnit.SECONDS)) {
            ide.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            ide.destroyForcibly().waitFor();
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
