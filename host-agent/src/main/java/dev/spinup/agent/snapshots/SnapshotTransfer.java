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
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
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

    /** Restores the command's snapshot: its full one first when it is a differential. */
    public void restore(WorkspaceSpec spec, dev.spinup.api.v1.RestoreSnapshot r) throws DriverException {
        download(
                spec,
                r.hasBase()
                        ? new Layer(
                                r.getBase().getSnapshotId(),
                                r.getBase().getDownloadUrl(),
                                r.getBase().getSizeBytes(),
                                r.getBase().getSha256())
                        : null,
                new Layer(r.getSnapshotId(), r.getDownloadUrl(), r.getSizeBytes(), r.getSha256()));
    }

    /** What the command downloads: "N" bytes, or "N + M" for a full snapshot and its differential. */
    public static String bytes(dev.spinup.api.v1.RestoreSnapshot r) {
        return (r.hasBase() ? r.getBase().getSizeBytes() + " + " : "") + r.getSizeBytes();
    }

    /** One archive to download: where from, and the size and SHA-256 it must have. */
    public record Layer(String snapshotId, String downloadUrl, long sizeBytes, String sha256Hex) {}

    /**
     * Downloads the snapshot (and, for a differential, the full one it builds on, first), checks
     * each archive's size and SHA-256 — link by link: nothing is unpacked unless every archive of
     * the chain is whole — then unpacks them in order.
     *
     * @param base the full snapshot a differential {@code snapshot} builds on; null for a full one
     */
    public void download(WorkspaceSpec spec, Layer base, Layer snapshot) throws DriverException {
        List<Path> archives = new ArrayList<>();
        try {
            for (Layer layer : base == null ? List.of(snapshot) : List.of(base, snapshot)) {
                archives.add(fetch(layer));
            }
            if (archives.size() == 1) {
                try (InputStream in = Files.newInputStream(archives.get(0))) {
                    driver.importDisk(spec, in);
                }
            } else {
                try (InputStream full = Files.newInputStream(archives.get(0));
                        InputStream differential = Files.newInputStream(archives.get(1))) {
                    driver.importDisk(spec, full, differential);
                }
            }
        } catch (IOException e) {
            throw new DriverException("download_failed", "snapshot download failed: " + DriverException.reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted", "interrupted during the snapshot download");
        } finally {
            archives.forEach(SnapshotTransfer::deleteQuietly);
        }
    }

    /** Downloads one archive to a scratch file and checks it; the caller deletes the file. */
    private Path fetch(Layer layer) throws IOException, InterruptedException, DriverException {
        Path archive = scratch.resolve(layer.snapshotId() + ".download.tar.gz");
        HttpResponse<Path> response = http.send(
                HttpRequest.newBuilder(URI.create(layer.downloadUrl()))
                        .timeout(Duration.ofMinutes(30))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofFile(archive));
        if (response.statusCode() / 100 != 2) {
            deleteQuietly(archive);
            throw new DriverException(
                    "download_failed",
                    "object storage answered " + response.statusCode() + " to the download of snapshot "
                            + layer.snapshotId());
        }
        MessageDigest digest = sha256();
        long size = 0;
        try (InputStream in = Files.newInputStream(archive)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
                size += n;
            }
        }
        String sha = HexFormat.of().formatHex(digest.digest());
        if (size != layer.sizeBytes() || !sha.equals(layer.sha256Hex())) {
            deleteQuietly(archive);
            throw new DriverException(
                    "checksum_mismatch",
                    "the downloaded snapshot " + layer.snapshotId() + " is " + size + " bytes, sha256 " + sha
                            + "; expected " + layer.sizeBytes() + " bytes, sha256 " + layer.sha256Hex()
                            + ". Nothing was unpacked.");
        }
        return archive;
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
