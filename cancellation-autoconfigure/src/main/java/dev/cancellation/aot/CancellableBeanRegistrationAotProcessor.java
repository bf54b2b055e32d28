package dev.cancellation.aot;

import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.aot.hint.ExecutableMode;
import org.springframework.aot.hint.ReflectionHints;
import org.springframework.beans.factory.aot.BeanRegistrationAotContribution;
import org.springframework.beans.factory.aot.BeanRegistrationAotProcessor;
import org.springframework.beans.factory.support.RegisteredBean;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Contributes the runtime hints that {@code @Cancellable} and {@code @OnCancel} need on each bean class that uses
 * them: the starter lists a bean class's declared methods to find the annotations, and invokes
 * {@code @OnCancel} methods reflectively. Registered through {@code META-INF/spring/aot.factories}.
 *
 * <p>Stateless; Spring calls it during AOT processing, once per registered bean.
 */
public class CancellableBeanRegistrationAotProcessor implements BeanRegistrationAotProcessor {

    private static final Set<Class<? extends java.lang.annotation.Annotation>> ANNOTATIONS =
            Set.of(Cancellable.class, OnCancel.class);

    @Override
    public @Nullable BeanRegistrationAotContribution processAheadOfTime(RegisteredBean registeredBean) {
        Class<?> beanClass = ClassUtils.getUserClass(registeredBean.getBeanClass());
        if (!AnnotationUtils.isCandidateClass(beanClass, ANNOTATIONS)) {
            return null;
        }
        boolean cancellableClass = AnnotatedElementUtils.hasAnnotation(beanClass, Cancellable.class);
        List<Method> onCancelMethods = new ArrayList<>();
        boolean[] cancellableMethod = { false };
        ReflectionUtils.doWithMethods(beanClass, method -> {
            if (AnnotatedElementUtils.hasAnnotation(method, OnCancel.class)) {
                onCancelMethods.add(method);
            }
            if (AnnotatedElementUtils.hasAnnotation(method, Cancellable.class)) {
                cancellableMethod[0] = true;
            }
        }, ReflectionUtils.USER_DECLARED_METHODS);
        if (!cancellableClass && !cancellableMethod[0] && onCancelMethods.isEmpty()) {
            return null;
        }
        Set<Class<?>> hierarchy = new LinkedHashSet<>();
        for (Class<?> type = beanClass; type != null && type != Object.class; type = type.getSuperclass()) {
            hierarchy.add(type);
        }
        return (generationContext, beanRegistrationCode) -> {
            ReflectionHints reflection = generationContext.getRuntimeHints().reflection();
            // a type hint lets the image list the declared methods (introspection needs no member category)
            hierarchy.forEach(type -> reflection.registerType(type));
            onCancelMethods.forEach(method -> reflection.registerMethod(method, ExecutableMode.INVOKE));
        };
    }
}
