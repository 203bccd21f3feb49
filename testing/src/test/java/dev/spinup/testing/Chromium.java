package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Headless Debian Chromium, with the flags this machine needs (no sandbox as root, no background network). */
final class Chromium {
    private Chromium() {}

    /** Runs Chromium with {@code args} (a fresh profile under {@code workDir}) and returns its standard output. */
    static String run(Path workDir, String... args) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(workDir, "chromium-profile");
        List<String> command = new ArrayList<>(List.of(
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile));
        command.addAll(List.of(args));
        Path log = workDir.resolve("chromium.log");
        Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        assertThat(p.exitValue())
                .as("chromium exit code; stderr:\n%s", Files.readString(log))
                .isZero();
        return new String(out, StandardCharsets.UTF_8);
    }

    /** The DOM of {@code url} after its scripts ran (up to 10 s of virtual time: hydration included). */
    static String renderedDom(Path workDir, String url) throws IOException, InterruptedException {
        return run(workDir, "--virtual-time-budget=10000", "--dump-dom", url);
    }
}
