import { humanSize } from "@web/core/utils/binary";

/** What the attachment route serves inline (it decides from the bytes; others download). */
const PREVIEW_IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

function withParam(url, key, value) {
    const parsed = new URL(url, window.location.origin);
    parsed.searchParams.set(key, value);
    return parsed.origin === window.location.origin
        ? parsed.pathname + parsed.search
        : parsed.href;
}

/** The route of one attachment of a message (access checked by the server on each request). */
export function attachmentUrl(indexId, attachment) {
    if (attachment.url) {
        return attachment.url;
    }
    const part = attachment.part_id ?? attachment.part ?? attachment.id;
    return `/maildesk/attachment/${indexId}/${encodeURIComponent(String(part))}`;
}

/**
 * The attachments a reader sees listed, shaped as the files of Odoo's FileViewer: images and
 * PDF preview (PDF through Odoo's pdf.js viewer), everything downloads. Inline images that the
 * body shows (cid:) are not listed again.
 */
export function attachmentFiles(indexId, attachments) {
    return attachments
        .filter((a) => !(a.inline && a.content_id && (a.mimetype || "").startsWith("image/")))
        .map((a) => {
            const mimetype = (a.mimetype || "application/octet-stream").toLowerCase();
            const base = attachmentUrl(indexId, a);
            const inlineUrl = withParam(base, "download", "0");
            const isImage = PREVIEW_IMAGES.has(mimetype);
            const isPdf = mimetype === "application/pdf";
            return {
                key: String(a.part_id ?? a.part ?? a.id ?? a.name),
                name: a.name || "attachment",
                mimetype,
                size: a.size || 0,
                isImage,
                isPdf,
                isVideo: false,
                isText: false,
                isUrlYoutube: false,
                isViewable: isImage || isPdf,
                thumbnailUrl: isImage ? inlineUrl : null,
                defaultSource: isPdf
                    ? `/web/static/lib/pdfjs/web/viewer.html?file=${encodeURIComponent(base)}#pagemode=none`
                    : inlineUrl,
                downloadUrl: withParam(base, "download", "1"),
            };
        });
}

export function formatSize(size) {
    return size ? humanSize(size) : "";
}

/** A Font Awesome icon for a file type, as Odoo's attachment lists show. */
export function fileIcon(mimetype) {
    if (mimetype.startsWith("image/")) {
        return "fa-file-image-o";
    }
    if (mimetype === "application/pdf") {
        return "fa-file-pdf-o";
    }
    if (mimetype.startsWith("text/")) {
        return "fa-file-text-o";
    }
    if (/zip|compressed|tar/.test(mimetype)) {
        return "fa-file-archive-o";
    }
    return "fa-file-o";
}
