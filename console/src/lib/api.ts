// Calls to the admin API with the session's Bearer token. Errors are RFC 9457
// problem documents, kept whole so pages can show detail and errors[].field.
import { signOut, token } from './session';

export interface Problem {
    status: number;
    title?: string;
    detail?: string;
    type?: string;
    errors?: { field: string; message: string }[];
}

export class ApiError extends Error {
    constructor(public problem: Problem) {
        super(problem.detail ?? problem.title ?? String(problem.status));
    }
}

export interface Answer<T> {
    data: T;
    etag: string | null;
    status: number;
}

async function toProblem(res: Response): Promise<Problem> {
    try {
        const body = await res.json();
        if (typeof body === 'object' && body !== null) {
            return { status: res.status, ...body };
        }
    } catch {
        // not JSON: fall through
    }
    return { status: res.status, title: res.statusText };
}

export async function call<T>(
    method: string,
    path: string,
    opts: { body?: unknown; ifMatch?: string | null } = {},
): Promise<Answer<T>> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const t = token();
    if (t === null) {
        signOut('unauthorized');
        throw new ApiError({ status: 401 });
    }
    headers.Authorization = `Bearer ${t}`;
    if (opts.body !== undefined) {
        headers['Content-Type'] = 'application/json';
    }
    if (opts.ifMatch) {
        headers['If-Match'] = opts.ifMatch;
    }
    let res: Response;
    try {
        res = await fetch(path, {
            method,
            headers,
            body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
            credentials: 'omit',
            cache: 'no-store',
        });
    } catch (e) {
        throw new ApiError({ status: 0, detail: String(e) });
    }
    if (res.status === 401) {
        signOut('unauthorized');
        throw new ApiError(await toProblem(res));
    }
    if (!res.ok) {
        throw new ApiError(await toProblem(res));
    }
    const text = await res.text();
    return { data: (text ? JSON.parse(text) : null) as T, etag: res.headers.get('ETag'), status: res.status };
}

export const get = <T>(path: string) => call<T>('GET', path).then((a) => a.data);

export function query(params: Record<string, string | number | undefined | null>): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
        if (v !== undefined && v !== null && v !== '') {
            q.set(k, String(v));
        }
    }
    const s = q.toString();
    return s ? `?${s}` : '';
}

// An upload with progress (fetch has no upload progress; XHR does).
export function upload<T>(file: File, onProgress: (fraction: number) => void): Promise<Answer<T>> {
    return new Promise((resolve, reject) => {
        const t = token();
        if (t === null) {
            signOut('unauthorized');
            reject(new ApiError({ status: 401 }));
            return;
        }
        const xhr = new XMLHttpRequest();
        xhr.open('POST', '/admin/versions/upload');
        xhr.setRequestHeader('Authorization', `Bearer ${t}`);
        xhr.setRequestHeader('Content-Type', 'application/octet-stream');
        xhr.setRequestHeader('X-File-Name', file.name.replace(/[^\x20-\x7e]/g, '_'));
        xhr.upload.onprogress = (e) => {
            if (e.lengthComputable) {
                onProgress(e.loaded / e.total);
            }
        };
        xhr.onerror = () => reject(new ApiError({ status: 0, detail: 'network error' }));
        xhr.onload = () => {
            let body: unknown = null;
            try {
                body = JSON.parse(xhr.responseText);
            } catch {
                body = null;
            }
            if (xhr.status === 401) {
                signOut('unauthorized');
            }
            if (xhr.status >= 200 && xhr.status < 300) {
                onProgress(1);
                resolve({ data: body as T, etag: null, status: xhr.status });
            } else {
                reject(new ApiError({ status: xhr.status, ...(typeof body === 'object' ? body : {}) }));
            }
        };
        xhr.send(file);
    });
}
