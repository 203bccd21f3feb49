package dev.spinup.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a person sees in a browser, for tests: Debian's chromium driven by playwright-core
 * ({@code testing/browser}, installed from npm on first use; it never downloads a browser).
 */
public final class Browser {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Browser() {}

    /** The IDE as a browser showed it: when it was usable, what its explorer listed, what its terminal printed. */
    public record IdeView(long workbenchMs, List<String> explorer, String terminal, String screenshot) {}

    /**
     * Opens the code-server workbench at {@code url}, waits until its explorer lists files, and
     * (with a {@code command}) runs it in the integrated terminal until a line reads {@code expected}.
     */
    public static IdeView openIde(String url, Path screenshot, String command, String expected) {
        List<String> args = new ArrayList<>(List.of("node", "ide.js", url, screenshot.toString()));
        if (command != null) {
            args.addAll(List.of(command, expected));
        }
        String out = run(args);
        try {
            return JSON.readValue(out, IdeView.class);
        } catch (IOException e) {
            throw new IllegalStateException("ide.js printed no view: " + out, e);
        }
    }

    private static String run(List<String> command) {
        Path dir = installed();
        try {
            Path log = Files.createTempFile("browser", ".log");
            Process p = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectError(log.toFile())
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(3, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " failed: " + Files.readString(log));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The checkout's testing/browser with its npm dependencies (npm ci when the lock file changed). */
    private static synchronized Path installed() {
        Path dir = Checkout.root().resolve("testing/browser");
        Path lock = dir.resolve("package-lock.json");
        Path marker = dir.resolve("node_modules/.package-lock.json");
        try {
            if (!Files.exists(marker)
                    || Files.getLastModifiedTime(marker).compareTo(Files.getLastModifiedTime(lock)) < 0) {
                ProcessBuilder npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
                        .directory(dir.toFile())
                        .inheritIO();
                npm.environment().put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
                Process p = npm.start();
                if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    throw new IllegalStateException("npm ci in " + dir + " failed");
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
