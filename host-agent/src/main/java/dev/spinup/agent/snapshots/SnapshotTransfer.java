package dev.spinup.agent.snapshots;

import dev.spinup.agent.drivers.DriverException;
import dev.spinup.agent.drivers.VmDriver;
import dev.spinup.agent.drivers.WorkspaceSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.function.LongConsumer;

/**
 * Moves snapshot archives between a workspace's disk and object storage through presigned URLs.
 * Archives stream through a temporary file in the agent's data directory (never whole in memory):
 * the upload needs its length up front, and a download is verified (size and SHA-256) before one
 * byte of it is unpacked.
 */
public final class SnapshotTransfer {
    /** {@code baseSnapshotId} is the full snapshot a differential is based on, "" for a full one. */
    public record Uploaded(long sizeBytes, String sha256Hex, String baseSnapshotId) {}

    private final VmDriver driver;
    private final Path scratch;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public SnapshotTransfer(VmDriver driver, Path scratch) {
        this.driver = driver;
        this.scratch = scratch;
        try {
            Files.createDirectories(scratch);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Uploaded upload(
            String workspaceId, String snapshotId, String baseSnapshotId, String uploadUrl, LongConsumer progress)
            throws DriverException {
        Path archive = scratch.resolve(snapshotId + ".tar.gz");
        try {
            MessageDigest digest = sha256();
            String base;
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(archive), digest)) {
                base = driver.exportDisk(workspaceId, snapshotId, baseSnapshotId, out);
            }
            long size = Files.size(archive);
            progress.accept(size);
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(uploadUrl))
                            .timeout(Duration.ofMinutes(30))
                            .PUT(HttpRequest.BodyPublishers.ofFile(archive))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new DriverException(
                        "upload_failed",
                        "object storage answered " + response.statusCode() + " to the snapshot upload: "
                                + truncate(response.body()));
            }
            return new Uploaded(size, HexFormat.of().formatHex(digest.digest()), base);
        } catch (IOException e) {
            throw new DriverException("upload_failed", "snapshot upload failed: " + DriverException.reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted", "interrupted during the snapshot upload");
        } finally {
            deleteQuietly(archive);
        }
    }

    public void download(
            WorkspaceSpec spec, String snapshotId, String downloadUrl, long expectedSize, String expectedSha256)
            throws DriverException {
        Path archive = scratch.resolve(snapshotId + ".download.tar.gz");
        try {
            HttpResponse<Path> response = http.send(
                    HttpRequest.newBuilder(URI.create(downloadUrl))
                            .timeout(Duration.ofMinutes(30))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofFile(archive));
            if (response.statusCode() / 100 != 2) {
                throw new DriverException(
                        "download_failed",
                        "object storage answered " + response.statusCode() + " to the snapshot download");
            }
            MessageDigest digest = sha256();
            long size;
            try (InputStream in = Files.newInputStream(archive)) {
                byte[] buffer = new byte[64 * 1024];
                size = 0;
                for (int n; (n = in.read(buffer)) > 0; ) {
                    digest.update(buffer, 0, n);
                    size += n;
                }
            }
            String sha = HexFormat.of().formatHex(digest.digest());
            if (size != expectedSize || !sha.equals(expectedSha256)) {
                throw new DriverException(
                        "checksum_mismatch",
                        "the downloaded snapshot is " + size + " bytes, sha256 " + sha + "; expected " + expectedSize
                                + " bytes, sha256 " + expectedSha256 + ". Nothing was unpacked.");
            }
            try (InputStream in = Files.newInputStream(archive)) {
                driver.importDisk(spec, in);
            }
        } catch (IOException e) {
            throw new DriverException("download_failed", "snapshot download failed: " + DriverException.reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted", "interrupted during the snapshot download");
        } finally {
            deleteQuietly(archive);
        }
    }

    private static String truncate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // scratch files are removed at the next attempt anyway
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
