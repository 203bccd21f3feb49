package dev.spinup.agent.drivers;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A workspace's disk, through qemu-img: a qcow2 overlay on the read-only base of the image it was
 * created from, images side by side under one folder and named by content hash. Every change is
 * made to a {@code .partial} file first and moved into place atomically, so a crash leaves either
 * the old disk or the new one.
 */
final class QemuDisks {
    private static final Logger log = LoggerFactory.getLogger(QemuDisks.class);
    static final long GIB = 1L << 30;
    static final String DISK = "disk.qcow2";

    /** The image new workspaces get; the images beside it stay bootable for the workspaces made from them. */
    private final Path image;

    QemuDisks(Path image) {
        this.image = image;
    }

    /** The directory of the image with this content hash (the one in {@code workspace.properties}). */
    Path image(String hash) {
        return image.resolveSibling(hash);
    }

    /** The content hash new workspaces are created from. */
    String currentImage() {
        return image.getFileName().toString();
    }

    /** A new, empty overlay of {@code diskGb} GiB on the current image's base, as {@code dir/disk.qcow2}. */
    void create(Path dir, int diskGb) throws IOException, DriverException {
        long base = virtualSize(image.resolve("base.qcow2"));
        if ((long) diskGb * GIB < base) {
            // the guest would see its root filesystem cut short
            throw new DriverException(
                    "disk_too_small",
                    "a " + diskGb + " GiB disk cannot hold this host's VM image (" + (base + GIB - 1) / GIB
                            + " GiB); give the workspace a larger disk");
        }
        Path partial = dir.resolve(DISK + ".partial");
        Files.createDirectories(dir);
        overlay(image.resolve("base.qcow2"), partial, diskGb + "G");
        Files.move(partial, dir.resolve(DISK), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** A disk can grow but never shrink: {@code disk_shrink} if {@code diskGb} is less than it has. */
    void refuseShrink(Path disk, int diskGb, String workspaceId) throws DriverException {
        long current = virtualSize(disk);
        if ((long) diskGb * GIB < current) {
            throw new DriverException(
                    "disk_shrink",
                    "the disk of " + workspaceId + " is " + current / GIB + " GiB; it can grow but not shrink to "
                            + diskGb + " GiB");
        }
    }

    /** The size the guest sees, in bytes. */
    long virtualSize(Path disk) throws DriverException {
        return info(disk).virtualSize();
    }

    /** Grows the disk to {@code bytes} unless it is that large already; true when it grew. */
    boolean grow(Path disk, long bytes) throws DriverException {
        if (bytes <= virtualSize(disk)) {
            return false;
        }
        ExternalCommand.run(List.of("qemu-img", "resize", "-q", disk.toString(), Long.toString(bytes)), null, null);
        return true;
    }

    /**
     * Writes the workspace's data to {@code out} as a compressed qcow2: the overlay's difference
     * from its base image (a full snapshot, backing path naming the image by content hash), or,
     * when this host still keeps the full snapshot {@code baseSnapshotId}, the difference from that
     * full alone (a differential). Returns the base used, or "" for a full. A full is kept under
     * {@code dir/snapshots} (the one before it removed) as the base of the differentials after it.
     * A running VM ({@code live} not null) is first told to flush its filesystems (guest channel
     * {@code sync}), then copied at that point in time by a QMP {@code drive-backup} (sync=top: the
     * overlay alone, copy-before-write while the guest keeps running), so the snapshot is what a
     * power cut at that instant would leave, with the data written before it.
     */
    String exportOverlay(
            Path dir, String imageHash, LiveBackup live, String snapshotId, String baseSnapshotId, OutputStream out)
            throws DriverException {
        Path backup = dir.resolve("backup.qcow2.partial");
        Path difference = dir.resolve("difference.qcow2.partial");
        Path export = dir.resolve("export.qcow2.partial");
        Path fulls = dir.resolve("snapshots");
        Path base = baseSnapshotId.isEmpty() ? null : fulls.resolve(snapshotFile(baseSnapshotId));
        try {
            Files.deleteIfExists(backup);
            Path source = dir.resolve(DISK);
            if (live != null) {
                live.to(backup);
                source = backup;
            }
            if (base != null && Files.exists(base)) {
                difference(source, base, difference);
                compress(difference, base, export);
                Files.copy(export, out);
                return baseSnapshotId;
            }
            compress(source, image(imageHash).resolve("base.qcow2"), export);
            Files.copy(export, out);
            Files.createDirectories(fulls);
            Path kept = fulls.resolve(snapshotFile(snapshotId));
            Files.move(export, kept, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (var old = Files.list(fulls)) {
                for (Path f : old.filter(f -> !f.equals(kept)).toList()) {
                    Files.deleteIfExists(f);
                }
            }
            return "";
        } catch (IOException e) {
            throw new DriverException(
                    "io_error", "cannot snapshot " + dir.getFileName() + ": " + DriverException.reason(e), e);
        } finally {
            try {
                for (Path partial : List.of(export, difference, backup)) {
                    Files.deleteIfExists(partial);
                }
            } catch (IOException e) {
                log.atWarn()
                        .setMessage("export_cleanup_failed")
                        .addKeyValue("workspace", dir.getFileName())
                        .addKeyValue("error", e.toString())
                        .log();
            }
        }
    }

    private static String snapshotFile(String snapshotId) {
        if (!snapshotId.matches("[0-9a-f-]{36}")) {
            throw new IllegalArgumentException("not a snapshot id: " + snapshotId);
        }
        return snapshotId + ".qcow2";
    }

    /** Copies a running VM's overlay, as it is at this instant, to a file. */
    interface LiveBackup {
        void to(Path target) throws DriverException;
    }

    /**
     * Writes {@code source} as a compressed qcow2 with {@code backing} as its backing file, holding
     * the clusters {@code source} itself holds (qemu-img convert -B copies the top layer's).
     */
    void compress(Path source, Path backing, Path target) throws DriverException {
        ExternalCommand.run(
                List.of(
                        "qemu-img",
                        "convert",
                        "-q",
                        "-c",
                        "-f",
                        "qcow2",
                        "-O",
                        "qcow2",
                        "-B",
                        backing.toString(),
                        "-F",
                        "qcow2",
                        source.toString(),
                        target.toString()),
                null,
                null);
    }

    /**
     * Writes into {@code target} exactly the clusters where what {@code upper} reads (its whole
     * chain) differs from what {@code lower} reads, with {@code lower} as its backing file: so
     * {@code target} over {@code lower} reads as {@code upper}. A new overlay on {@code upper},
     * rebased onto {@code lower} in qemu-img's safe mode, which compares the two chains' contents.
     */
    void difference(Path upper, Path lower, Path target) throws DriverException {
        overlay(upper, target);
        rebase(target, lower, true);
    }

    /**
     * Makes a full export, and the differential on it if not null, this host's {@code
     * dir/disk.qcow2}, written to partial files first; returns the image's hash.
     */
    String restore(Path dir, String workspaceId, java.io.InputStream full, java.io.InputStream differential)
            throws IOException, DriverException {
        Files.createDirectories(dir);
        if (differential == null) {
            Path partial = dir.resolve(DISK + ".partial");
            Files.copy(full, partial, StandardCopyOption.REPLACE_EXISTING);
            return adopt(partial, dir, workspaceId);
        }
        Path fullPartial = dir.resolve("full.qcow2.partial");
        Path diffPartial = dir.resolve("differential.qcow2.partial");
        Files.copy(full, fullPartial, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(differential, diffPartial, StandardCopyOption.REPLACE_EXISTING);
        return adoptChain(fullPartial, diffPartial, dir, workspaceId);
    }

    /**
     * Makes an exported overlay ({@code partial}) this host's {@code dir/disk.qcow2}: points it at
     * the local copy of the image it was exported from and returns that image's hash.
     */
    String adopt(Path partial, Path dir, String workspaceId) throws IOException, DriverException {
        String hash = onLocalImage(partial, workspaceId);
        Files.move(partial, dir.resolve(DISK), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return hash;
    }

    /**
     * Makes a full export ({@code full}) and a differential against it ({@code differential}) this
     * host's {@code dir/disk.qcow2}, one overlay on the local image again, and returns the image's
     * hash. Both files are consumed.
     */
    String adoptChain(Path full, Path differential, Path dir, String workspaceId) throws IOException, DriverException {
        String hash = onLocalImage(full, workspaceId);
        rebase(differential, full, false);
        Path flat = dir.resolve(DISK + ".partial");
        Files.deleteIfExists(flat);
        difference(differential, image(hash).resolve("base.qcow2"), flat);
        Files.move(flat, dir.resolve(DISK), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(differential);
        Files.deleteIfExists(full);
        return hash;
    }

    /** Points an exported overlay at this host's copy of the image its backing path names; returns the image's hash. */
    private String onLocalImage(Path exported, String workspaceId) throws DriverException {
        String backing = info(exported).backingFilename();
        if (backing == null || Path.of(backing).getParent() == null) {
            throw new DriverException("bad_disk", "the snapshot of " + workspaceId + " is not an overlay of an image");
        }
        String hash = Path.of(backing).getParent().getFileName().toString();
        Path base = image(hash).resolve("base.qcow2");
        if (!Files.exists(base)) {
            throw new DriverException(
                    "base_image_missing",
                    "the snapshot of " + workspaceId + " overlays image " + hash
                            + ", which this host does not have (build it with that vm-base-config)");
        }
        rebase(exported, base, false);
        return hash;
    }

    /** A new, empty qcow2 over {@code backing} (of its size, or {@code size} like "5G"). */
    private static void overlay(Path backing, Path target, String... size) throws DriverException {
        List<String> command = new java.util.ArrayList<>(List.of(
                "qemu-img",
                "create",
                "-q",
                "-f",
                "qcow2",
                "-b",
                backing.toAbsolutePath().toString(),
                "-F",
                "qcow2",
                target.toString()));
        command.addAll(List.of(size));
        ExternalCommand.run(command, null, null);
    }

    /**
     * Makes {@code backing} the disk's backing file: with {@code compare}, writing into the disk
     * what reads differently through the new backing than through the old (qemu-img's safe mode);
     * without, only renaming it, data untouched ({@code -u}).
     */
    private static void rebase(Path disk, Path backing, boolean compare) throws DriverException {
        List<String> command = new java.util.ArrayList<>(List.of("qemu-img", "rebase", "-q"));
        if (!compare) {
            command.add("-u");
        }
        command.addAll(
                List.of("-f", "qcow2", "-b", backing.toAbsolutePath().toString(), "-F", "qcow2", disk.toString()));
        ExternalCommand.run(command, null, null);
    }

    /** What {@code qemu-img info} says of a disk. */
    record Info(long virtualSize, String backingFilename) {
        /** Parses {@code qemu-img info --output=json}. */
        static Info parse(String json) throws DriverException {
            Map<String, Object> info;
            try {
                info = JSON.std.mapFrom(json);
            } catch (IOException e) {
                throw new DriverException("bad_disk", "qemu-img info is not JSON: " + json, e);
            }
            if (!(info.get("virtual-size") instanceof Number size)) {
                throw new DriverException("bad_disk", "qemu-img info has no virtual-size: " + json);
            }
            return new Info(size.longValue(), info.get("backing-filename") instanceof String b ? b : null);
        }
    }

    private static Info info(Path disk) throws DriverException {
        return Info.parse(ExternalCommand.output(List.of("qemu-img", "info", "-U", "--output=json", disk.toString())));
    }
}
