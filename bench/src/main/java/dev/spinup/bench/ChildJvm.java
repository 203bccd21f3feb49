package dev.spinup.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JVM started with this one's classpath, for the parts of a benchmark that must not share a
 * process (file-descriptor limits, heap measured on its own). Lines it prints starting with
 * {@code @} are answers ({@link #await}); everything else goes to its log file.
 */
final class ChildJvm implements AutoCloseable {
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    private final Process process;
    private final PrintWriter stdin;
    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
    private final Path log;
    /** Its last lines, for error messages (the log file goes with the scratch directory). */
    private final java.util.Deque<String> tail = new java.util.concurrent.ConcurrentLinkedDeque<>();

    private ChildJvm(Process process, Path log) {
        this.process = process;
        this.log = log;
        this.stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread.ofPlatform().daemon().name("child-output").start(this::readOutput);
    }

    /** Starts {@code mainClass} with {@code jvmOptions} (e.g. "-Xmx1g"); its output is logged to {@code log}. */
    static ChildJvm start(
            Path log, List<String> jvmOptions, Map<String, String> env, String mainClass, List<String> args)
            throws IOException {
        List<String> command = new ArrayList<>(
                List.of(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        if (Runtime.version().feature() >= 24) {
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(args);
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        return new ChildJvm(builder.start(), log);
    }

    private void readOutput() {
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("@")) {
                    answers.add(line);
                }
                Files.writeString(log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                tail.addLast(line);
                if (tail.size() > 15) {
                    tail.pollFirst();
                }
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    void send(String command) {
        stdin.println(command);
    }

    /** The next answer, which must start with {@code expected}; its words after that. */
    String[] await(String expected, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String line = answers.poll(200, TimeUnit.MILLISECONDS);
            if (line != null) {
                if (!line.startsWith(expected)) {
                    throw new IllegalStateException("expected " + expected + ", got " + line + lastLines());
                }
                return line.substring(expected.length()).trim().split(" ");
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("the child JVM exited with " + process.exitValue() + lastLines());
            }
        }
        throw new IllegalStateException("no " + expected + " within " + timeout + lastLines());
    }

    /** Its last lines of output, for an error message. */
    String lastLines() {
        return "; its last output:\n  " + String.join("\n  ", tail);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** CPU time the process has used so far, all its threads. */
    Duration cpuTime() {
        return process.info().totalCpuDuration().orElseThrow();
    }

    /** Heap in use right after a full GC (jcmd GC.run, then GC.heap_info), in bytes. */
    long heapAfterGc() throws IOException, InterruptedException {
        jcmd("GC.run");
        Matcher used = HEAP_USED.matcher(jcmd("GC.heap_info"));
        if (!used.find()) {
            throw new IllegalStateException("jcmd GC.heap_info printed no heap figure");
        }
        return Long.parseLong(used.group(1)) * 1024;
    }

    /** Runs a jcmd diagnostic command (and its arguments) on this JVM; returns what it printed. */
    String jcmd(String... what) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(process.pid())));
        command.addAll(List.of(what));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + String.join(" ", what) + " failed: " + out);
        }
        return out;
    }

    /** SIGKILL: no shutdown hooks, no goodbyes to its peers. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stdin.close();
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
