"""OME-TIFF files as Bio-Formats and microscope software lay out channel sets,
written with tifffile and a hand-made OME-XML (tifffile writes one-file
OME-TIFFs only): a multi-file set whose every file carries the whole XML and
its own UUID, the files naming each other by UUID + FileName; or a set whose
TIFFs carry only a BinaryOnly pointer to a companion .ome file holding the XML.
tifffile reads the first kind back as one series (the tests' oracle)."""

import uuid

import tifffile

NS = "http://www.openmicroscopy.org/Schemas/OME/2016-06"


def ome_xml(own_uuid, height, width, dtype, names, tiff_data, size_z=1, order="XYCZT"):
    """`tiff_data`: (first_c, ifd, plane_count, file_name or None, file uuid or None) per TiffData element."""
    channels = "".join(f'<Channel ID="Channel:0:{k}" Name="{n}" SamplesPerPixel="1"/>' for k, n in enumerate(names))
    tds = ""
    for first_c, ifd, count, name, file_uuid in tiff_data:
        inner = f'<UUID FileName="{name}">{file_uuid}</UUID>' if name else ""
        tds += f'<TiffData FirstC="{first_c}" IFD="{ifd}" PlaneCount="{count}">{inner}</TiffData>' if inner else f'<TiffData FirstC="{first_c}" IFD="{ifd}" PlaneCount="{count}"/>'
    root = f' UUID="{own_uuid}"' if own_uuid else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><OME xmlns="{NS}"{root}><Image ID="Image:0" Name="slide">'
        f'<Pixels ID="Pixels:0" DimensionOrder="{order}" Type="{dtype}" SizeX="{width}" SizeY="{height}" SizeC="{len(names)}" SizeZ="{size_z}" SizeT="1" BigEndian="false">'
        f"{channels}{tds}</Pixels></Image></OME>"
    )


def write_set(directory, stem, planes, names, groups, options_of):
    """The (C, H, W) `planes` as one file per group of consecutive channels
    (`groups`: channel counts, e.g. [2, 1, 1]), each with the whole XML;
    `options_of(k)`: tifffile options of file k. Returns the file names."""
    files = [f"{stem}_{k}.ome.tif" for k in range(len(groups))]
    uuids = [f"urn:uuid:{uuid.uuid4()}" for _ in groups]
    tiff_data, c = [], 0
    for k, n in enumerate(groups):
        tiff_data.append((c, 0, n, files[k], uuids[k]))
        c += n
    _, h, w = planes.shape
    c = 0
    for k, n in enumerate(groups):
        xml = ome_xml(uuids[k], h, w, planes.dtype.name, names, tiff_data)
        with tifffile.TiffWriter(f"{directory}/{files[k]}") as t:
            for j in range(n):
                t.write(planes[c + j], description=xml if j == 0 else None, metadata=None, photometric="minisblack", **options_of(k))
        c += n
    return files


def write_companion_set(directory, stem, planes, names, options):
    """One file per channel, each with a BinaryOnly XML; the XML in `stem`.companion.ome."""
    files = [f"{stem}_{k}.ome.tif" for k in range(len(planes))]
    uuids = [f"urn:uuid:{uuid.uuid4()}" for _ in planes]
    _, h, w = planes.shape
    companion = f"{stem}.companion.ome"
    tiff_data = [(k, 0, 1, files[k], uuids[k]) for k in range(len(planes))]
    with open(f"{directory}/{companion}", "w") as f:
        f.write(ome_xml(f"urn:uuid:{uuid.uuid4()}", h, w, planes.dtype.name, names, tiff_data))
    for k, plane in enumerate(planes):
        pointer = f'<?xml version="1.0" encoding="UTF-8"?><OME xmlns="{NS}" UUID="{uuids[k]}"><BinaryOnly MetadataFile="{companion}" UUID="{uuids[k]}"/></OME>'
        tifffile.imwrite(f"{directory}/{files[k]}", plane, description=pointer, metadata=None, photometric="minisblack", **options)
    return files, companion
