package dev.spinup.testing;

import dev.spinup.controlplane.postgres.DatabaseConfig;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One running SpinUp per test class: a fresh database ({@link PostgresExtension}), a work
 * directory, and a {@link SpinUpCluster} started on them before the class's {@code @BeforeAll}
 * methods and closed, with its directory removed, after its {@code @AfterAll} methods.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.clock(clock));
 * static SpinUpCluster cluster;
 *
 * @BeforeAll
 * static void start() {
 *     cluster = spinup.cluster();
 *     cluster.startAgent(new Envelope(8, 16, 100));
 * }
 * }</pre>
 */
public final class SpinUpExtension implements BeforeAllCallback, AfterAllCallback {
    private final PostgresExtension postgres = new PostgresExtension();
    private final UnaryOperator<SpinUpCluster.Builder> configure;
    private Path dir;
    private SpinUpCluster cluster;

    private SpinUpExtension(UnaryOperator<SpinUpCluster.Builder> configure) {
        this.configure = configure;
    }

    /** A cluster with the harness's defaults. */
    public static SpinUpExtension defaults() {
        return with(b -> b);
    }

    /** A cluster whose builder {@code configure} adjusts (clock, hooks, heartbeat, …) when the class starts. */
    public static SpinUpExtension with(UnaryOperator<SpinUpCluster.Builder> configure) {
        return new SpinUpExtension(configure);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        postgres.beforeAll(context);
        dir = Files.createTempDirectory(
                "spinup-" + context.getRequiredTestClass().getSimpleName() + "-");
        cluster = configure.apply(SpinUpCluster.builder(postgres.config(), dir)).start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            cluster = null;
            postgres.afterAll(context);
            if (dir != null) {
                deleteTree(dir);
            }
        }
    }

    /** The running cluster (from before the class's {@code @BeforeAll} until after its {@code @AfterAll}). */
    public SpinUpCluster cluster() {
        if (cluster == null) {
            throw new IllegalStateException("the cluster runs only while the test class does");
        }
        return cluster;
    }

    /** The class's own database. */
    public DatabaseConfig database() {
        return postgres.config();
    }

    /** The class's work directory (the cluster's state is in it; a test may add its own files). */
    public Path dir() {
        return dir;
    }

    /** Best effort: a file a child process writes while the tree goes only leaves some of it behind in the temp folder. */
    private static void deleteTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                deleteQuietly(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE; // a file a child process removed meanwhile
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) {
                deleteQuietly(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // left behind in the temp folder
        }
    }
}
