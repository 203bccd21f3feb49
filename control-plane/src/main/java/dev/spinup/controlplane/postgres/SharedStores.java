package dev.spinup.controlplane.postgres;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.config.ConfigRegistry;
import org.jdbi.v3.core.extension.ExtensionContext;
import org.jdbi.v3.core.extension.ExtensionFactory;
import org.jdbi.v3.core.extension.HandleSupplier;

/**
 * The stores' SqlObjects attached once per {@link Database}, each call run on the handle of the
 * transaction it was made in.
 *
 * <p>Why: attaching a SqlObject to a handle builds an invoker for every method of its type (a copy
 * of the configuration and a warm-up of its binders and mappers each), and a transaction attached
 * each store it used. On this project's 2-core machine that was half of an operation step's CPU
 * (JFR), more than the queries. Attached here once, a transaction's store is a thin binding that
 * names its handle for the length of each call.
 *
 * <p>A store's method runs in its method's configuration (the mappers its annotations register):
 * Jdbi applies it to the handle for the call through a method it keeps to its own package, which
 * is looked up once here. Should a Jdbi release change it, {@link #bind} falls back to attaching
 * on the transaction's handle, as Jdbi itself does (correct, only slower), and says so once in the
 * log at start.
 */
final class SharedStores implements HandleSupplier {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SharedStores.class);

    /** {@code Handle.acceptExtensionContext(ExtensionContext)}; null when this Jdbi has none. */
    private static final MethodHandle ACCEPT_CONTEXT = acceptContext();

    private final Jdbi jdbi;
    private final Map<Class<?>, Shared> attached;
    /** The handle each call on this thread runs on (calls nest: a store's default method calls another). */
    private final ThreadLocal<Handle> current = new ThreadLocal<>();
    /** The method contexts applied on this thread, innermost first, to restore as calls return. */
    private final ThreadLocal<ArrayDeque<Applied>> applied = ThreadLocal.withInitial(ArrayDeque::new);

    private record Applied(Handle handle, ExtensionContext context) {}

    /** A store attached once, and the constructor of the proxy class that binds it to a handle. */
    private record Shared(Object store, Constructor<?> binding) {
        static Shared of(Class<?> type, Object store) {
            try {
                InvocationHandler none = (proxy, method, args) -> null;
                Class<?> proxyClass = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, none)
                        .getClass();
                return new Shared(store, proxyClass.getConstructor(InvocationHandler.class));
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    SharedStores(Jdbi jdbi, ExtensionFactory sqlObjects, List<Class<?>> stores) {
        this.jdbi = jdbi;
        this.attached = ACCEPT_CONTEXT == null
                ? Map.of()
                : stores.stream()
                        .collect(Collectors.toMap(Function.identity(), t -> Shared.of(t, sqlObjects.attach(t, this))));
    }

    /** False when this Jdbi release lacks what sharing needs: every transaction attaches its stores. */
    boolean shared() {
        return !attached.isEmpty();
    }

    /** {@code type} on {@code handle}: the shared store bound to it, or (see the class comment) attached to it. */
    <T> T bind(Class<T> type, Handle handle) {
        Shared shared = attached.get(type);
        if (shared == null) {
            return handle.attach(type);
        }
        InvocationHandler onHandle = (proxy, method, args) -> {
            Handle outer = current.get();
            current.set(handle);
            try {
                return method.invoke(shared.store(), args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                if (outer == null) {
                    current.remove();
                } else {
                    current.set(outer);
                }
            }
        };
        try {
            return type.cast(shared.binding().newInstance(onHandle));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot bind " + type.getSimpleName() + " to a handle", e);
        }
    }

    @Override
    public Handle getHandle() {
        Handle handle = current.get();
        if (handle == null) {
            throw new IllegalStateException("a store was called outside the transaction it belongs to");
        }
        return handle;
    }

    @Override
    public Jdbi getJdbi() {
        return jdbi;
    }

    @Override
    public ConfigRegistry getConfig() {
        return jdbi.getConfig();
    }

    @Override
    public <V> V invokeInContext(ExtensionContext context, Callable<V> task) throws Exception {
        Handle handle = getHandle();
        ArrayDeque<Applied> stack = applied.get();
        stack.push(new Applied(handle, context));
        accept(handle, context);
        try {
            return task.call();
        } finally {
            stack.pop();
            accept(handle, enclosing(stack, handle));
        }
    }

    /** The context an enclosing call applied to {@code handle}; null: the handle's own. */
    private static ExtensionContext enclosing(ArrayDeque<Applied> stack, Handle handle) {
        for (Iterator<Applied> it = stack.iterator(); it.hasNext(); ) {
            Applied a = it.next();
            if (a.handle() == handle) {
                return a.context();
            }
        }
        return null;
    }

    private static void accept(Handle handle, ExtensionContext context) {
        try {
            ACCEPT_CONTEXT.invoke(handle, context);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot apply a store method's configuration to its handle", e);
        }
    }

    private static MethodHandle acceptContext() {
        try {
            return MethodHandles.privateLookupIn(Handle.class, MethodHandles.lookup())
                    .findVirtual(
                            Handle.class,
                            "acceptExtensionContext",
                            MethodType.methodType(Handle.class, ExtensionContext.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.atWarn()
                    .setMessage("jdbi_stores_attached_per_transaction")
                    .addKeyValue("reason", e.toString())
                    .log();
            return null;
        }
    }
}
