import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** A small history-API router: every screen has a URL, and the gateway serves index.html for each. */
const listeners = new Set<() => void>();

export const navigate = (to: string, replace = false): void => {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  listeners.forEach((listener) => listener());
};

window.addEventListener('popstate', () => listeners.forEach((listener) => listener()));

export const useLocation = (): URL => {
  const [href, setHref] = useState(location.href);
  useEffect(() => {
    const listener = () => setHref(location.href);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return new URL(href);
};

/** Updates one query parameter of the current URL without a new history entry (filters, search). */
export const setQueryParam = (name: string, value: string | null): void => {
  const url = new URL(location.href);
  if (value === null || value === '') url.searchParams.delete(name);
  else url.searchParams.set(name, value);
  navigate(url.pathname + url.search, true);
};

export const Link = ({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) => (
  <a
    href={href}
    onClick={(event: MouseEvent<HTMLAnchorElement>) => {
      onClick?.(event);
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault();
      navigate(href);
    }}
    {...rest}
  />
);
