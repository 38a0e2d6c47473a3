! scan_gaps: scan a miniSEED archive with libsiqaco from Fortran and print its gaps in the
! line format of examples/c/scan_gaps.c:
!   NSLC START END DURATION_S MISSING_SAMPLES LAST_SAMPLE NEXT_SAMPLE EDGE
!
! Usage: scan_gaps [ROOT [LAYOUT [START_NS END_NS]]]   (as examples/c/scan_gaps.c)
! Build: gfortran siqaco.f90 scan_gaps.f90 $(pkg-config --libs siqaco) -o scan_gaps_f
program scan_gaps
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: error_unit
  use siqaco
  implicit none

  character(len=4096) :: root, layout, arg
  integer(c_int64_t) :: start_ns, end_ns
  type(c_ptr) :: archive, report
  type(siqaco_stream) :: stream
  type(siqaco_gap) :: gap
  integer(c_int32_t) :: st
  integer(c_size_t) :: nstreams, i, j, ngaps
  character(len=16) :: duration
  character(len=4) :: edge

  root = "tests/data/sds-small"
  layout = "sds"
  if (command_argument_count() >= 1) call get_command_argument(1, root)
  if (command_argument_count() >= 2) call get_command_argument(2, layout)
  start_ns = SIQACO_TIME_UNSET
  end_ns = SIQACO_TIME_UNSET
  if (command_argument_count() >= 4) then
    call get_command_argument(3, arg)
    read (arg, *) start_ns
    call get_command_argument(4, arg)
    read (arg, *) end_ns
  end if

  archive = c_null_ptr
  report = c_null_ptr
  st = siqaco_archive_open(trim(root)//c_null_char, trim(layout)//c_null_char, archive)
  if (st /= SIQACO_STATUS_OK) call fail("siqaco_archive_open", st)
  st = siqaco_archive_scan(archive, c_null_char, start_ns, end_ns, report)
  if (st /= SIQACO_STATUS_OK) call fail("siqaco_archive_scan", st)

  nstreams = 0
  ngaps = 0
  st = siqaco_report_stream_count(report, nstreams)
  do i = 0, nstreams - 1
    st = siqaco_report_stream(report, i, stream)
    if (st /= SIQACO_STATUS_OK) call fail("siqaco_report_stream", st)
    do j = 0, int(stream%gap_count, c_size_t) - 1
      st = siqaco_report_gap(report, i, j, gap)
      if (st /= SIQACO_STATUS_OK) call fail("siqaco_report_gap", st)
      select case (gap%edge)
      case (SIQACO_EDGE_HEAD)
        edge = "head"
      case (SIQACO_EDGE_TAIL)
        edge = "tail"
      case default
        edge = "-"
      end select
      write (duration, '(f16.6)') gap%duration_s
      write (*, '(a)') siqaco_f_chars(stream%nslc)//" "//iso(gap%start_ns)//" "// &
        iso(gap%end_ns)//" "//trim(adjustl(duration))//" "//itoa(gap%missing_samples)//" "// &
        iso(gap%last_sample_ns)//" "//iso(gap%next_sample_ns)//" "//trim(edge)
      ngaps = ngaps + 1
    end do
  end do
  write (error_unit, '(a,i0,a,i0,a)') "scan_gaps (Fortran): libsiqaco " // &
    siqaco_f_string(siqaco_version()) // ": ", ngaps, " gap(s) in ", nstreams, " stream(s)"

  call siqaco_report_free(report)
  call siqaco_archive_free(archive)

contains

  subroutine fail(what, status)
    character(len=*), intent(in) :: what
    integer(c_int32_t), intent(in) :: status
    write (error_unit, '(a,i0,a)') "scan_gaps: "//what//": "// &
      siqaco_f_string(siqaco_status_str(status))//" (", status, "): "//siqaco_f_last_error()
    call siqaco_report_free(report)
    call siqaco_archive_free(archive)
    error stop 1
  end subroutine fail

  function itoa(n) result(s)
    integer(c_int64_t), intent(in) :: n
    character(len=:), allocatable :: s
    character(len=24) :: buf
    write (buf, '(i0)') n
    s = trim(buf)
  end function itoa

  ! ns since 1970 as YYYY-MM-DDTHH:MM:SS.uuuuuuZ, or with 9 digits when the time is not a
  ! whole microsecond (the CLI's format); "-" if unset.
  function iso(ns) result(s)
    integer(c_int64_t), intent(in) :: ns
    character(len=:), allocatable :: s
    integer(c_int64_t) :: secs, frac, days, sod, z, era, doe, yoe, doy, mp, y, m, d
    character(len=40) :: buf
    if (ns == SIQACO_TIME_UNSET) then
      s = "-"
      return
    end if
    secs = floor_div(ns, 1000000000_c_int64_t)
    frac = ns - secs * 1000000000_c_int64_t
    days = floor_div(secs, 86400_c_int64_t)
    sod = secs - days * 86400_c_int64_t
    ! civil_from_days (H. Hinnant)
    z = days + 719468
    era = floor_div(z, 146097_c_int64_t)
    doe = z - era * 146097
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    mp = (5 * doy + 2) / 153
    d = doy - (153 * mp + 2) / 5 + 1
    if (mp < 10) then
      m = mp + 3
    else
      m = mp - 9
    end if
    if (m <= 2) y = y + 1
    if (mod(frac, 1000_c_int64_t) == 0) then
      write (buf, '(i4.4,"-",i2.2,"-",i2.2,"T",i2.2,":",i2.2,":",i2.2,".",i6.6,"Z")') &
        y, m, d, sod / 3600, mod(sod, 3600_c_int64_t) / 60, mod(sod, 60_c_int64_t), frac / 1000
    else
      write (buf, '(i4.4,"-",i2.2,"-",i2.2,"T",i2.2,":",i2.2,":",i2.2,".",i9.9,"Z")') &
        y, m, d, sod / 3600, mod(sod, 3600_c_int64_t) / 60, mod(sod, 60_c_int64_t), frac
    end if
    s = trim(buf)
  end function iso

  function floor_div(a, b) result(q)
    integer(c_int64_t), intent(in) :: a, b
    integer(c_int64_t) :: q
    q = a / b
    if (mod(a, b) /= 0 .and. ((a < 0) .neqv. (b < 0))) q = q - 1
  end function floor_div
end program scan_gaps
