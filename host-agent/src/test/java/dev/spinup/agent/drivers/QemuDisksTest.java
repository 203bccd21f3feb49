package dev.spinup.agent.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The qemu driver's disks, through the real qemu-img: overlays, growth, export and adoption on another host. */
class QemuDisksTest {
    @TempDir
    Path tmp;

    @Test
    void anOverlayGrowsButIsNeverShrunkByGrow() throws Exception {
        QemuDisks disks = new QemuDisks(image(tmp.resolve("images"), "aaaa"));
        Path dir = tmp.resolve("ws-1");

        disks.create(dir, 2);
        Path disk = dir.resolve(QemuDisks.DISK);
        assertEquals(2 * QemuDisks.GIB, disks.virtualSize(disk));
        assertFalse(Files.exists(dir.resolve(QemuDisks.DISK + ".partial")));

        assertTrue(disks.grow(disk, 3 * QemuDisks.GIB));
        assertEquals(3 * QemuDisks.GIB, disks.virtualSize(disk));
        assertFalse(disks.grow(disk, 1 * QemuDisks.GIB));
        assertEquals(3 * QemuDisks.GIB, disks.virtualSize(disk));
    }

    @Test
    void aDiskSmallerThanTheImageIsRefusedWithItsSize() throws Exception {
        QemuDisks disks = new QemuDisks(image(tmp.resolve("big"), "ffff", "1536M"));

        DriverException e = assertThrows(DriverException.class, () -> disks.create(tmp.resolve("ws-small"), 1));
        assertEquals("disk_too_small", e.code());
        assertTrue(e.getMessage().contains("(2 GiB)"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("ws-small").resolve(QemuDisks.DISK)));
    }

    @Test
    void anExportIsAdoptedOnAHostThatHasItsImage() throws Exception {
        QemuDisks here = new QemuDisks(image(tmp.resolve("here"), "bbbb"));
        here.create(tmp.resolve("ws-2"), 1);
        Path export = tmp.resolve("export.qcow2");
        here.compress(
                tmp.resolve("ws-2").resolve(QemuDisks.DISK), here.image("bbbb").resolve("base.qcow2"), export);

        // another host keeps its images elsewhere; its current image is newer, but it has bbbb too
        Path images = tmp.resolve("there");
        image(images, "bbbb");
        QemuDisks there = new QemuDisks(image(images, "cccc"));
        Path dir = Files.createDirectories(tmp.resolve("restored"));
        Path partial = Files.copy(export, dir.resolve(QemuDisks.DISK + ".partial"));

        assertEquals("bbbb", there.adopt(partial, dir, "ws-2"));
        assertEquals(QemuDisks.GIB, there.virtualSize(dir.resolve(QemuDisks.DISK)));
        String info = ExternalCommand.output(List.of(
                "qemu-img", "info", "--output=json", dir.resolve(QemuDisks.DISK).toString()));
        assertEquals(
                images.resolve("bbbb").resolve("base.qcow2").toString(),
                QemuDisks.Info.parse(info).backingFilename());
    }

    @Test
    void anExportOfAnImageThisHostLacksIsRefusedByName() throws Exception {
        QemuDisks here = new QemuDisks(image(tmp.resolve("here"), "dddd"));
        here.create(tmp.resolve("ws-3"), 1);
        Path dir = Files.createDirectories(tmp.resolve("restored"));
        Path partial = dir.resolve(QemuDisks.DISK + ".partial");
        here.compress(
                tmp.resolve("ws-3").resolve(QemuDisks.DISK), here.image("dddd").resolve("base.qcow2"), partial);

        QemuDisks there = new QemuDisks(image(tmp.resolve("there"), "eeee"));
        DriverException e = assertThrows(DriverException.class, () -> there.adopt(partial, dir, "ws-3"));
        assertEquals("base_image_missing", e.code());
        assertTrue(e.getMessage().contains("dddd"), e.getMessage());
    }

    @Test
    void aDifferentialHoldsOnlyWhatChangedSinceTheFullAndRestoresOnAnotherHost() throws Exception {
        Path images = tmp.resolve("images");
        QemuDisks here = new QemuDisks(image(images, "abab"));
        io(image(images, "abab").resolve("base.qcow2"), "write -P 0x11 0 4M");
        Path dir = tmp.resolve("ws-4");
        here.create(dir, 1);
        Path disk = dir.resolve(QemuDisks.DISK);
        io(disk, "write -P 0x22 0 8M"); // over the image's own data and past it

        String fullId = java.util.UUID.randomUUID().toString();
        var full = new java.io.ByteArrayOutputStream();
        assertEquals("", here.exportOverlay(dir, "abab", null, fullId, "", full));
        String unknownBase = java.util.UUID.randomUUID().toString();
        assertEquals(
                "",
                here.exportOverlay(dir, "abab", null, fullId, unknownBase, java.io.OutputStream.nullOutputStream()),
                "no differential against a full this host did not keep");

        io(disk, "write -P 0x33 16M 1M"); // new data
        io(disk, "write -z 2M 1M"); // data of the full zeroed
        var differential = new java.io.ByteArrayOutputStream();
        assertEquals(
                fullId,
                here.exportOverlay(
                        dir, "abab", null, java.util.UUID.randomUUID().toString(), fullId, differential));
        assertEquals(
                2L << 20,
                ownBytes(Files.write(tmp.resolve("differential.qcow2"), differential.toByteArray())),
                "the differential holds the 2 MiB that changed, not the full's 8");
        assertEquals(8L << 20, ownBytes(Files.write(tmp.resolve("full.qcow2"), full.toByteArray())));

        // another host with the same image restores the chain as one overlay on its own copy
        Path there = tmp.resolve("there");
        QemuDisks other = new QemuDisks(image(there, "abab"));
        io(there.resolve("abab").resolve("base.qcow2"), "write -P 0x11 0 4M");
        Path restored = Files.createDirectories(tmp.resolve("restored"));
        Path f = Files.write(restored.resolve("full.qcow2.partial"), full.toByteArray());
        Path d = Files.write(restored.resolve("differential.qcow2.partial"), differential.toByteArray());
        assertEquals("abab", other.adoptChain(f, d, restored, "ws-4"));

        Path result = restored.resolve(QemuDisks.DISK);
        assertEquals(
                there.resolve("abab").resolve("base.qcow2").toString(),
                QemuDisks.Info.parse(
                                ExternalCommand.output(List.of("qemu-img", "info", "--output=json", result.toString())))
                        .backingFilename());
        // qemu-img compare reads both chains whole: exit 0 only when every byte matches
        ExternalCommand.run(List.of("qemu-img", "compare", "-q", disk.toString(), result.toString()), null, null);
        try (var files = Files.list(restored)) {
            assertEquals(List.of(result), files.toList(), "the layers are consumed");
        }
    }

    /** The bytes a qcow2 file holds itself (data or zeroes), not read through from its backing file. */
    private static long ownBytes(Path qcow2) throws Exception {
        List<Object> map = com.fasterxml.jackson.jr.ob.JSON.std.listFrom(
                ExternalCommand.output(List.of("qemu-img", "map", "--output=json", qcow2.toString())));
        return map.stream()
                .map(e -> (java.util.Map<?, ?>) e)
                .filter(e -> ((Number) e.get("depth")).intValue() == 0 && Boolean.TRUE.equals(e.get("present")))
                .mapToLong(e -> ((Number) e.get("length")).longValue())
                .sum();
    }

    private static void io(Path disk, String command) throws DriverException {
        ExternalCommand.run(List.of("qemu-io", "-c", command, disk.toString()), null, null);
    }

    @Test
    void infoThatIsNotJsonOrHasNoSizeIsABadDisk() {
        assertEquals(
                "bad_disk",
                assertThrows(DriverException.class, () -> QemuDisks.Info.parse("qemu-img: oops"))
                        .code());
        assertEquals(
                "bad_disk",
                assertThrows(DriverException.class, () -> QemuDisks.Info.parse("{\"format\":\"qcow2\"}"))
                        .code());
    }

    /** An image directory with a tiny base disk, as build-image.sh leaves one. */
    private static Path image(Path images, String hash) throws Exception {
        return image(images, hash, "1G");
    }

    /** An image directory whose base is an empty qcow2 of {@code size}. */
    private static Path image(Path images, String hash, String size) throws Exception {
        Path dir = Files.createDirectories(images.resolve(hash));
        ExternalCommand.run(
                List.of(
                        "qemu-img",
                        "create",
                        "-q",
                        "-f",
                        "qcow2",
                        dir.resolve("base.qcow2").toString(),
                        size),
                null,
                null);
        return dir;
    }
}
