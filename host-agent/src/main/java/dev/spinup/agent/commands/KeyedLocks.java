package dev.spinup.agent.commands;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per key (a workspace), held by whoever runs work for it, and dropped as soon as nobody
 * holds or waits for it: the map holds only the keys in use, however many keys there have been.
 * Locks, not monitors: the work blocks on processes and disks.
 */
final class KeyedLocks {
    private record Entry(ReentrantLock lock, int[] users) {}

    private final Map<String, Entry> locks = new HashMap<>();

    <T, E extends Exception> T with(String key, ThrowingSupplier<T, E> work) throws E {
        Entry entry;
        synchronized (locks) {
            entry = locks.computeIfAbsent(key, k -> new Entry(new ReentrantLock(), new int[1]));
            entry.users()[0]++;
        }
        entry.lock().lock();
        try {
            return work.get();
        } finally {
            entry.lock().unlock();
            synchronized (locks) {
                if (--entry.users()[0] == 0) {
                    locks.remove(key);
                }
            }
        }
    }

    /** How many keys have a lock right now. */
    int size() {
        synchronized (locks) {
            return locks.size();
        }
    }

    @FunctionalInterface
    interface ThrowingSupplier<T, E extends Exception> {
        T get() throws E;
    }
}
