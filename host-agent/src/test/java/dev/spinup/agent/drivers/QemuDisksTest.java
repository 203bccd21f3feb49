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
        here.export(tmp.resolve("ws-2").resolve(QemuDisks.DISK), "bbbb", export);

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
        here.export(tmp.resolve("ws-3").resolve(QemuDisks.DISK), "dddd", partial);

        QemuDisks there = new QemuDisks(image(tmp.resolve("there"), "eeee"));
        DriverException e = assertThrows(DriverException.class, () -> there.adopt(partial, dir, "ws-3"));
        assertEquals("base_image_missing", e.code());
        assertTrue(e.getMessage().contains("dddd"), e.getMessage());
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
