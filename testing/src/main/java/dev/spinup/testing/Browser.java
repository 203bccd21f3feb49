package dev.spinup.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a person sees in a browser, for tests: Debian's chromium driven by playwright-core
 * ({@code testing/browser}, installed from npm on first use; it never downloads a browser).
 */
public final class Browser {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Browser() {}

    /**
     * How fast the IDE under test answers, which scales every wait of the browser scripts
     * ({@code SPINUP_BROWSER_PACE}). Measured here on a host with both cores busy: in a VM under
     * TCG the workbench took 25 s and a new terminal's first prompt 15 s, against 3 s and well
     * under 1 s for an IDE in a process.
     */
    public enum Pace {
        PROCESS(1),
        TCG_VM(4);

        private final int factor;

        Pace(int factor) {
            this.factor = factor;
        }
    }

    /**
     * The IDE as a browser showed it: when it was usable, how long its new terminal took to show a
     * prompt (null without a command), what its explorer listed, what its terminal printed.
     */
    public record IdeView(long workbenchMs, Long promptMs, List<String> explorer, String terminal, String screenshot) {}

    /**
     * Opens the code-server workbench at {@code url}, waits until its explorer lists files, and
     * (with a {@code command}) runs it in the integrated terminal until a line reads {@code expected}.
     */
    public static IdeView openIde(String url, Path screenshot, String command, String expected) {
        return openIde(url, screenshot, command, expected, Pace.PROCESS);
    }

    /** {@link #openIde(String, Path, String, String)} for an IDE that answers at {@code pace}. */
    public static IdeView openIde(String url, Path screenshot, String command, String expected, Pace pace) {
        List<String> args = new ArrayList<>(List.of("node", "ide.js", url, screenshot.toString()));
        if (command != null) {
            args.addAll(List.of(command, expected));
        }
        String out = run(args, pace);
        try {
            return JSON.readValue(out, IdeView.class);
        } catch (IOException e) {
            throw new IllegalStateException("ide.js printed no view: " + out, e);
        }
    }

    /** An edit as the preview showed it: how long after the save, whether the page reloaded, its text before and after. */
    public record EditView(long saveToPreviewMs, boolean reloaded, String before, String after, String screenshot) {}

    /**
     * With the app's preview at {@code previewUrl} open in one tab and the IDE at {@code ideUrl}
     * in another, opens {@code file} in the IDE's editor, types {@code replacement} over the first
     * {@code find}, saves, and waits for the preview to show it.
     */
    public static EditView editAndWatch(
            String previewUrl, String ideUrl, String file, String find, String replacement, Path screenshot) {
        return editAndWatch(previewUrl, ideUrl, file, find, replacement, screenshot, Pace.PROCESS);
    }

    /** {@link #editAndWatch(String, String, String, String, String, Path)} for an IDE at {@code pace}. */
    public static EditView editAndWatch(
            String previewUrl,
            String ideUrl,
            String file,
            String find,
            String replacement,
            Path screenshot,
            Pace pace) {
        String out = run(
                List.of("node", "edit.js", previewUrl, ideUrl, file, find, replacement, screenshot.toString()), pace);
        try {
            return JSON.readValue(out, EditView.class);
        } catch (IOException e) {
            throw new IllegalStateException("edit.js printed no view: " + out, e);
        }
    }

    private static String run(List<String> command, Pace pace) {
        ProcessBuilder script =
                new ProcessBuilder(command).directory(installed().toFile());
        script.environment().put("SPINUP_BROWSER_PACE", Integer.toString(pace.factor));
        return ChildProcesses.run(script, Duration.ofMinutes(3).multipliedBy(pace.factor));
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
                        .directory(dir.toFile());
                npm.environment().put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
                ChildProcesses.run(npm, Duration.ofMinutes(5));
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
