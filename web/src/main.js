// Entry of the bangfu web UI: Vue 3 + Element Plus (zh-CN) + the router.
import { createApp } from 'vue';
import ElementPlus from 'element-plus';
import zhCn from 'element-plus/es/locale/lang/zh-cn';
import 'element-plus/dist/index.css';
import App from './App.vue';
import { router } from './router.js';
import './styles.css';

const app = createApp(App);
app.use(ElementPlus, { locale: zhCn, size: 'default' });
app.use(router);
app.config.errorHandler = (err) => {
  // A fault in one component must not blank the page; log it and go on.
  console.error(err);
};
app.mount('#app');
