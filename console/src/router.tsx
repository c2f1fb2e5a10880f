import { useCallback, useEffect, useRef, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

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

/**
 * A query parameter that a text box types into, as state: the box shows each keystroke at once and
 * the URL follows after a pause in typing (`delayMs`) instead of on every keystroke, because a
 * history.replaceState costs several milliseconds in Chromium and a URL change re-renders every
 * screen that reads the location (the whole console). A deep link, back and forward set it.
 */
export const useTypedQueryParam = (name: string, delayMs = 250): [string, (value: string) => void] => {
  const fromUrl = useLocation().searchParams.get(name) ?? '';
  const [value, setValue] = useState(fromUrl);
  /** What the URL was last seen or set to: a URL change that is not ours (back, a link) replaces what is typed. */
  const written = useRef(fromUrl);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    if (fromUrl === written.current) return;
    written.current = fromUrl;
    clearTimeout(timer.current);
    setValue(fromUrl);
  }, [fromUrl]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const set = useCallback(
    (next: string) => {
      setValue(next);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        written.current = next;
        setQueryParam(name, next);
      }, delayMs);
    },
    [name, delayMs],
  );
  return [value, set];
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
