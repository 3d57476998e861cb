// Resumable uploads to the drive over tus (`/api/v1/files/tus`), with progress; the library is
// loaded on first use so it does not weigh on the first page load.
import { authHeaders } from './client';

export interface UploadHandle {
  promise: Promise<string>;
  abort(): void;
}

/** Uploads `file`; resolves with the new file's id. */
export function uploadFile(file: File, onProgress: (sent: number, total: number) => void): UploadHandle {
  let abort = () => undefined as void;
  const promise = import('tus-js-client').then(
    ({ Upload }) =>
      new Promise<string>((resolve, reject) => {
        const upload = new Upload(file, {
          endpoint: new URL('/api/v1/files/tus', location.origin).href,
          headers: authHeaders(),
          metadata: { filename: file.name, filetype: file.type },
          chunkSize: 4 * 1024 * 1024,
          retryDelays: [0, 1000, 3000, 5000],
          removeFingerprintOnSuccess: true,
          onProgress: (sent, total) => onProgress(sent, total),
          onError: (error) => {
            const body = (error as { originalResponse?: { getBody(): string } }).originalResponse?.getBody();
            let detail = error.message;
            try {
              const parsed = body ? (JSON.parse(body) as { detail?: string }) : null;
              if (parsed?.detail) detail = parsed.detail;
            } catch {
              // Keep the library's message.
            }
            reject(new Error(detail));
          },
          onSuccess: () => {
            const id = upload.url?.split('/').pop();
            if (id) resolve(id);
            else reject(new Error('the server did not name the uploaded file'));
          },
        });
        abort = () => {
          void upload.abort(true);
          reject(new Error('upload cancelled'));
        };
        upload.start();
      }),
  );
  return { promise, abort: () => abort() };
}
