// cancellation-spring-boot-starter's Spring Boot Admin 4 UI extension: a "Cancellation" view for every instance
// that exposes the `cancellation` actuator endpoint. Plain JavaScript, no build step: Spring Boot Admin loads this
// file as a classic script, after it has put Vue (`window.Vue`) and its extension API (`window.SBA`) in place.
//
// The view is the starter's own operator console: it imports console.js (the same file the starter serves, copied
// into this jar at build time, served at <admin>/cancellation/console.js) and mounts it on the endpoint as Spring
// Boot Admin proxies it, <admin>/instances/{id}/actuator/cancellation. Every request goes through that proxy in the
// operator's own Spring Boot Admin session: the instance's endpoint access and Spring Security decide what works,
// and cancel buttons appear only where the endpoint allows writes.
/* global SBA, Vue */
(() => {
  // Spring Boot Admin's pages carry <base href> = its public URL: its own paths are relative to that.
  const adminUrl = path => new URL(path, document.baseURI).href;
  const CONSOLE_SCRIPT = adminUrl('cancellation/console.js');

  const CancellationView = Vue.defineComponent({
    name: 'CancellationView',
    props: {
      instance: { type: Object, required: true },
      application: { type: Object, required: false, default: null },
    },
    setup(props) {
      const root = Vue.ref(null);
      let view = null;
      let generation = 0; // of mounts: an import that answers after the view moved on mounts nothing

      const show = async instance => {
        const mine = ++generation;
        if (view) view.stop();
        view = null;
        const { mount } = await import(CONSOLE_SCRIPT);
        if (mine !== generation || !root.value) return;
        const actuator = adminUrl(`instances/${encodeURIComponent(instance.id)}/actuator/`);
        view = mount(root.value, {
          endpoint: actuator + 'cancellation',
          metrics: instance.hasEndpoint('metrics') ? actuator + 'metrics' : undefined,
          // Spring Boot Admin's own requests send it: a secured server answers 401 rather than a login page
          headers: { 'X-Requested-With': 'XMLHttpRequest' },
          csrfHeader: (window.SBA.csrf && window.SBA.csrf.headerName) || 'X-XSRF-TOKEN',
        });
      };

      Vue.onMounted(() => show(props.instance));
      // the same view shows another instance when the route's instance changes
      Vue.watch(() => props.instance.id, () => show(props.instance));
      Vue.onBeforeUnmount(() => {
        generation++;
        if (view) view.stop();
      });
      // console.js owns what is inside the root element; Vue only creates it
      return () => Vue.h('section', { class: 'cancellation-sba' },
        [Vue.h('div', { ref: root, id: 'cancellation-console', class: 'cancellation-console' })]);
    },
  });

  SBA.use({
    install({ viewRegistry }) {
      viewRegistry.addView({
        name: 'instances/cancellation',
        parent: 'instances',
        path: 'cancellation',
        component: CancellationView,
        label: 'Cancellation',
        group: 'insights',
        order: 950,
        isEnabled: ({ instance }) => instance.hasEndpoint('cancellation'),
      });
    },
  });
})();
