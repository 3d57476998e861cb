// An in-app link: a real `<a href>` (so it can be opened in a new tab) that navigates without reload.
import type { AnchorHTMLAttributes, MouseEvent } from 'react';
import { navigate, usePathname } from './navigation';

interface LinkProps extends AnchorHTMLAttributes<HTMLAnchorElement> {
  to: string;
  /** Marks the link as the current page when the path starts with this prefix. */
  activePrefix?: string;
}

export function Link({ to, activePrefix, onClick, ...rest }: LinkProps) {
  const pathname = usePathname();
  const active = activePrefix !== undefined ? pathname.startsWith(activePrefix) : pathname === to;
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} aria-current={active ? 'page' : undefined} onClick={handle} {...rest} />;
}
