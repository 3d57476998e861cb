// Entry point: applies the theme before the first paint and mounts the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { applyTheme } from './components/theme';
import { App } from './App';
import './styles.css';

applyTheme();
const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
